from __future__ import annotations

from django.db import models

from benchbarrier import clock


class Event(models.Model):
    """What happened on the site (`order.completed`, `product.viewed` ...).

    Rows are written only by `analytics.services.record_events`, never edited. A
    `message_id` seen before makes a resent event a no-op. At 100 million rows range
    scans by time use the BRIN index on `timestamp` (PostgreSQL; see the migration and
    README "Events at scale"); per-user and per-name lookups use the seed's two indexes.
    """

    id = models.BigAutoField(primary_key=True)
    event_name = models.CharField(max_length=100)
    # NULL, not "": the seed's columns, and anonymous events have no user.
    user_id = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    session_id = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    message_id = models.CharField(max_length=100, unique=True)
    properties = models.JSONField(default=dict, blank=True)
    timestamp = models.DateTimeField()
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        db_table = "analytics_events"
        indexes = [
            models.Index(fields=["user_id", "timestamp"], name="idx_events_user_timestamp"),
            models.Index(fields=["event_name", "timestamp"], name="idx_events_name_timestamp"),
        ]

    def __str__(self) -> str:
        return f"{self.event_name} ({self.user_id or self.session_id or 'anonymous'})"
