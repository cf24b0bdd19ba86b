from __future__ import annotations

from django.db import models

from benchbarrier import clock


class SegmentKind(models.TextChoices):
    DYNAMIC = "dynamic", "Dynamic (computed from rules)"
    STATIC = "static", "Static (members added by hand or CSV)"


class Segment(models.Model):
    """A named group of customers: computed from `rules` in the database (dynamic) or
    kept by hand (static). Membership is refreshed by `marketing.services.segments`."""

    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    kind = models.CharField(
        max_length=10, choices=SegmentKind.choices, default=SegmentKind.DYNAMIC
    )
    rules = models.JSONField(
        default=list, blank=True, help_text="Rule language (see README); dynamic segments only."
    )
    member_count = models.IntegerField(default=0, editable=False)
    last_refreshed_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_refresh_ms = models.IntegerField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        db_table = "customer_segments"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SegmentMember(models.Model):
    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="memberships")
    customer = models.ForeignKey(
        "marketing.Customer", on_delete=models.CASCADE, related_name="segment_memberships"
    )
    joined_at = models.DateTimeField(default=clock.now)

    class Meta:
        db_table = "segment_members"
        constraints = [
            models.UniqueConstraint(fields=["segment", "customer"], name="segment_members_unique")
        ]
        indexes = [models.Index(fields=["customer"], name="segment_members_customer")]

    def __str__(self) -> str:
        return f"{self.customer} in {self.segment}"
