from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from benchbarrier.dashboard import place
from benchbarrier.models import WorkerHeartbeat


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    """The Celery workers that have reported in, and whether they still do."""

    list_display = ["hostname", "alive", "pid", "started_at", "last_seen_at", "stopped_at"]
    search_fields = ["hostname"]
    readonly_fields = ["hostname", "pid", "started_at", "last_seen_at", "stopped_at"]

    @admin.display(boolean=True, description="alive")
    def alive(self, worker: WorkerHeartbeat) -> bool:
        return worker.is_alive

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


place("Operations", WorkerHeartbeat)
