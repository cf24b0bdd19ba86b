from __future__ import annotations

from django.db import models

from benchbarrier import clock


class NotificationLevel(models.TextChoices):
    INFO = "info", "Info"
    WARNING = "warning", "Warning"
    CRITICAL = "critical", "Critical"


class Notification(models.Model):
    """Something an operator should know (a budget nearly spent, a spend spike), raised
    once per `key` (e.g. "budget:openai:80:2026-11") and shown in the admin."""

    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=50, db_index=True, help_text="e.g. budget.warning")
    level = models.CharField(max_length=10, choices=NotificationLevel.choices)
    message = models.TextField()
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=clock.now, db_index=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "notifications"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.message
