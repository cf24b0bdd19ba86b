from __future__ import annotations

import uuid

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import F, Q

from benchbarrier import clock


class JobStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PROCESSING = "processing", "Processing"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    RETRYING = "retrying", "Retrying"
    CANCELLED = "cancelled", "Cancelled"


WAITING_STATUSES = (JobStatus.PENDING, JobStatus.RETRYING)


class Job(models.Model):
    """One unit of background work: the queue of record (the seed's `job_queue`).

    A job is claimed by exactly one worker at a time (see `jobs.runner`); its lease
    (`lease_expires_at`) is renewed while it runs, and a job whose lease ran out is
    rescued and retried.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    job_type = models.CharField(max_length=100)
    payload = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    status = models.CharField(max_length=20, choices=JobStatus.choices, default=JobStatus.PENDING)
    priority = models.IntegerField(default=0, help_text="Higher runs first.")
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=3)
    scheduled_for = models.DateTimeField(default=clock.now)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    error_message = models.TextField(blank=True)
    traceback = models.TextField(blank=True)
    error_history = models.JSONField(
        default=list, blank=True, encoder=DjangoJSONEncoder,
        help_text="One entry per failed attempt: attempt, error, when.",
    )  # fmt: skip
    result = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    # Unique through Meta.constraints (`unique=True` would add a LIKE index too, one more
    # write on every enqueue for a lookup nobody makes); NULL, not "", when there is none.
    idempotency_key = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001
    progress = models.JSONField(
        null=True, blank=True, help_text='Set by long handlers: {"done": 120, "total": 500}.'
    )
    locked_by = models.CharField(max_length=255, blank=True, help_text="Worker holding it.")
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now, db_index=True)

    class Meta:
        db_table = "job_queue"
        ordering = ["-created_at"]
        indexes = [
            # The claim query: due waiting jobs by priority, then age. Partial, so it only
            # holds the (small) backlog, not millions of finished jobs.
            models.Index(
                F("priority").desc(),
                F("scheduled_for"),
                name="job_queue_claim_idx",
                condition=Q(status__in=["pending", "retrying"]),
            ),
            # The rescue query: running jobs whose lease ran out.
            models.Index(
                fields=["lease_expires_at"],
                name="job_queue_lease_idx",
                condition=Q(status="processing"),
            ),
            models.Index(fields=["status", "job_type"], name="job_queue_status_type_idx"),
            # The prune query; partial, so waiting and running jobs are not in it.
            models.Index(
                fields=["completed_at"],
                name="job_queue_completed_idx",
                condition=Q(status="completed"),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_attempts__gte=1), name="job_queue_max_attempts_positive"
            ),
            # Partial: most jobs have no key and need no entry.
            models.UniqueConstraint(
                fields=["idempotency_key"],
                name="job_queue_idempotency_key",
                condition=Q(idempotency_key__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.job_type} {self.id}"
