from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models

from benchbarrier import clock


class WorkerHeartbeatQuerySet(models.QuerySet):
    def alive(self) -> WorkerHeartbeatQuerySet:
        cutoff = clock.now() - timedelta(seconds=settings.WORKER_HEARTBEAT_MAX_AGE)
        return self.filter(last_seen_at__gte=cutoff, stopped_at__isnull=True)


class WorkerHeartbeat(models.Model):
    """The last sign of life of one Celery worker process (by its node name)."""

    hostname = models.CharField(max_length=255, unique=True)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    last_seen_at = models.DateTimeField(db_index=True)
    stopped_at = models.DateTimeField(null=True, blank=True)

    objects = WorkerHeartbeatQuerySet.as_manager()

    class Meta:
        db_table = "worker_heartbeats"
        ordering = ["hostname"]
        verbose_name = "worker"

    def __str__(self) -> str:
        return self.hostname

    @property
    def is_alive(self) -> bool:
        cutoff = clock.now() - timedelta(seconds=settings.WORKER_HEARTBEAT_MAX_AGE)
        return self.stopped_at is None and self.last_seen_at >= cutoff
