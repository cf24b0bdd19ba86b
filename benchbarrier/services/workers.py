"""Worker heartbeats: each Celery worker says it is alive; readiness reads it."""

from __future__ import annotations

from benchbarrier import clock
from benchbarrier.models import WorkerHeartbeat


def record_worker_heartbeat(*, hostname: str, pid: int, starting: bool = False) -> None:
    now = clock.now()
    defaults = {"pid": pid, "last_seen_at": now, "stopped_at": None}
    if starting:
        defaults["started_at"] = now
    WorkerHeartbeat.objects.update_or_create(
        hostname=hostname, defaults=defaults, create_defaults={**defaults, "started_at": now}
    )


def record_worker_stopped(*, hostname: str) -> None:
    WorkerHeartbeat.objects.filter(hostname=hostname).update(stopped_at=clock.now())
