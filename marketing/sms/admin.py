"""SMS in the admin: every message with its status and reason, and the numbers that
replied STOP."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html

from benchbarrier.admin.read_only import ReadOnlyAdmin
from benchbarrier.dashboard import place
from marketing.sms.models import SmsMessage, SmsOptOut

place("Analytics", SmsMessage)
place("Audience", SmsOptOut)
COLOURS = {"sent": "#2a7a2a", "delivered": "#2a7a2a", "skipped": "#b8860b",
           "deferred": "#b8860b", "failed": "#ba2121", "undelivered": "#ba2121"}  # fmt: skip


@admin.register(SmsMessage)
class SmsMessageAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "to_number", "customer", "coloured_status", "reason",
                    "segments", "encoding", "cost", "short_body"]  # fmt: skip
    list_filter = ["status", "encoding", "created_at"]
    search_fields = ["to_number", "customer__email", "=customer__external_id", "source"]
    list_select_related = ["customer"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    readonly_fields = [field.name for field in SmsMessage._meta.fields]

    @admin.display(description="status", ordering="status")
    def coloured_status(self, message: SmsMessage) -> str:
        colour = COLOURS.get(message.status, "#333")
        return format_html(
            '<strong style="color:{}">{}</strong>', colour, message.get_status_display()
        )

    @admin.display(description="text")
    def short_body(self, message: SmsMessage) -> str:
        return message.body if len(message.body) <= 60 else message.body[:59] + "…"


@admin.register(SmsOptOut)
class SmsOptOutAdmin(admin.ModelAdmin):
    list_display = ["number", "keyword", "created_at"]
    search_fields = ["number"]
    readonly_fields = ["created_at"]
