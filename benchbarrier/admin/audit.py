from __future__ import annotations

import json

from django.contrib import admin
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from benchbarrier.admin.read_only import ReadOnlyAdmin
from benchbarrier.dashboard import place
from benchbarrier.models import AuditLogEntry


@admin.register(AuditLogEntry)
class AuditLogEntryAdmin(ReadOnlyAdmin):
    """Read-only: the audit log is written by the system and never edited."""

    list_display = ["created_at", "actor_label", "action", "target_link", "request_id"]
    list_filter = ["actor_type", "action", "target_type", "created_at"]
    search_fields = ["action", "actor_label", "target_repr", "target_id", "request_id"]
    date_hierarchy = "created_at"
    list_select_related = ["target_type"]
    fields = [
        "created_at",
        "actor_type",
        "actor_label",
        "action",
        "target_link",
        "changes_pretty",
        "request_id",
        "ip_address",
    ]
    readonly_fields = fields

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description="target")
    def target_link(self, entry: AuditLogEntry) -> str:
        if entry.target_type is None:
            return "—"
        ct = entry.target_type
        try:
            url = reverse(f"admin:{ct.app_label}_{ct.model}_change", args=[entry.target_id])
        except NoReverseMatch:
            return f"{ct.model} {entry.target_repr}"
        return format_html('<a href="{}">{} {}</a>', url, ct.model, entry.target_repr)

    @admin.display(description="changes")
    def changes_pretty(self, entry: AuditLogEntry) -> str:
        return format_html(
            "<pre>{}</pre>", json.dumps(entry.changes, indent=2, sort_keys=True, default=str)
        )


place("Operations", AuditLogEntry)
