from __future__ import annotations

from django.contrib import admin

from benchbarrier.admin.read_only import ReadOnlyAdmin
from benchbarrier.dashboard import place
from benchbarrier.models import WorkerHeartbeat


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(ReadOnlyAdmin):
    """The Celery workers that have reported in, and whether they still do."""

    list_display = ["hostname", "alive", "pid", "started_at", "last_seen_at", "stopped_at"]
    search_fields = ["hostname"]
    readonly_fields = ["hostname", "pid", "started_at", "last_seen_at", "stopped_at"]

    @admin.display(boolean=True, description="alive")
    def alive(self, worker: WorkerHeartbeat) -> bool:
        return worker.is_alive


place("Operations", WorkerHeartbeat)
