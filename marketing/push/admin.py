"""Web push in the admin: each customer's browsers, and every notification with what
became of it on each device."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from benchbarrier.admin.read_only import ReadOnlyAdmin
from benchbarrier.dashboard import place
from marketing.push.models import PushMessage, PushSubscription

place("Audience", PushSubscription)
place("Analytics", PushMessage)


@admin.register(PushSubscription)
class PushSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["customer", "push_service", "user_agent", "created_at", "last_sent_at"]
    search_fields = ["customer__email", "=customer__external_id", "endpoint"]
    list_select_related = ["customer"]
    readonly_fields = ["customer", "endpoint", "p256dh", "auth", "user_agent", "created_at",
                       "last_sent_at"]  # fmt: skip

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # browsers subscribe through the shop's site

    @admin.display(description="push service")
    def push_service(self, subscription: PushSubscription) -> str:
        return subscription.endpoint.split("/")[2]


@admin.register(PushMessage)
class PushMessageAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "customer", "title", "status", "reason", "devices", "sent_at",
                    "clicked_at"]  # fmt: skip
    list_filter = ["status", "created_at"]
    search_fields = ["title", "customer__email", "=customer__external_id", "source"]
    list_select_related = ["customer"]
    readonly_fields = [field.name for field in PushMessage._meta.fields]
