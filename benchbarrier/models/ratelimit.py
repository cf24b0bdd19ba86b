from __future__ import annotations

from django.db import models

from benchbarrier import clock


class RateBucket(models.Model):
    """A token bucket shared by every worker (`benchbarrier.ratelimit.take`): `tokens`
    as of `refilled_at`, refilled at the rate each taker gives."""

    name = models.CharField(max_length=100, unique=True, help_text="e.g. campaign:12")
    tokens = models.FloatField(default=0)
    refilled_at = models.DateTimeField(default=clock.now)

    class Meta:
        db_table = "rate_buckets"

    def __str__(self) -> str:
        return self.name
