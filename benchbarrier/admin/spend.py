from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from benchbarrier.models import SpendEntry


@admin.register(SpendEntry)
class SpendEntryAdmin(admin.ModelAdmin):
    """The spend ledger: read-only, written by every paid outside call."""

    list_display = ["created_at", "service", "operation", "model", "quantity", "cost_display",
                    "reference"]  # fmt: skip
    list_filter = ["service", "operation", "created_at"]
    search_fields = ["reference", "model"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description="cost", ordering="cost")
    def cost_display(self, entry: SpendEntry) -> str:
        return "unknown" if entry.cost is None else f"{entry.cost.normalize()} {entry.currency}"
