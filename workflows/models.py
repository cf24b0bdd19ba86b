from __future__ import annotations

import secrets

from django.db import models

from benchbarrier import clock


class TriggerType(models.TextChoices):
    EVENT = "event", "Event"
    SCHEDULE = "schedule", "Schedule (cron)"
    WEBHOOK = "webhook", "Webhook"


class Reentry(models.TextChoices):
    ONE_AT_A_TIME = "one_at_a_time", "Once at a time per customer"
    ALLOW = "allow", "Always (parallel runs allowed)"
    ONCE_EVER = "once_ever", "Once ever per customer"
    ONCE_PER_PERIOD = "once_per_period", "Once per period per customer"


def _token() -> str:
    return secrets.token_urlsafe(24)


class Workflow(models.Model):
    """An automation: a trigger, steps, exit events and a re-entry rule (the seed's
    definition shape, validated by `workflows.definition`)."""

    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    trigger_type = models.CharField(max_length=10, choices=TriggerType.choices)
    trigger_config = models.JSONField(default=dict, blank=True)
    steps = models.JSONField(default=list)
    exit_events = models.JSONField(
        default=list,
        blank=True,
        help_text='e.g. [{"event": "order.completed", "match": ["cartId"]}]',
    )
    reentry = models.CharField(
        max_length=20, choices=Reentry.choices, default=Reentry.ONE_AT_A_TIME
    )
    reentry_period = models.CharField(max_length=10, blank=True, help_text='e.g. "30d"')
    settings = models.JSONField(
        default=dict,
        blank=True,
        help_text='Workflow-wide settings steps read, e.g. {"discount": {"pool": "Winter"}} '
        'or {"discount": {"percentOff": 15, "expiresIn": "7d"}}.',
    )
    is_paused = models.BooleanField(default=False)
    archived_at = models.DateTimeField(
        null=True, blank=True, db_index=True,
        help_text="Deleted with runs: kept for their history, paused, out of the lists.",
    )  # fmt: skip
    webhook_token = models.CharField(max_length=64, unique=True, default=_token, editable=False)
    webhook_secret = models.CharField(max_length=64, default=_token, editable=False)
    webhook_secret_set_at = models.DateTimeField(
        default=clock.now, editable=False, help_text="Rotate monthly (an alert rule says when)."
    )
    previous_webhook_secret = models.CharField(max_length=64, blank=True, editable=False)
    previous_secret_until = models.DateTimeField(
        null=True, blank=True, editable=False,
        help_text="The secret before the last rotation is accepted until then.",
    )  # fmt: skip
    version = models.IntegerField(default=1, editable=False)
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        db_table = "workflows"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ExecutionStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    WAITING = "waiting", "Waiting"
    PAUSED = "paused", "Paused"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


ACTIVE_STATUSES = (
    ExecutionStatus.PENDING,
    ExecutionStatus.RUNNING,
    ExecutionStatus.WAITING,
    ExecutionStatus.PAUSED,
)


class WorkflowExecution(models.Model):
    """One run of a workflow for one subject: a snapshot of the definition it started
    with, a cursor into its step tree, and a context (trigger, outputs)."""

    # Indexed by `executions_subject`, which starts with it.
    workflow = models.ForeignKey(
        Workflow, on_delete=models.CASCADE, related_name="executions", db_index=False
    )
    definition = models.JSONField(help_text="The steps as they were when this run started.")
    status = models.CharField(
        max_length=10,
        choices=ExecutionStatus.choices,
        default=ExecutionStatus.PENDING,
    )
    cursor = models.JSONField(default=list, help_text='Path of the next step: ["steps", 2].')
    context = models.JSONField(default=dict, blank=True)
    user_id = models.CharField(max_length=255, blank=True)
    trigger_event_id = models.BigIntegerField(null=True, blank=True)
    # NULL, not "": most runs have none. Unique per workflow (Meta.constraints).
    idempotency_key = models.CharField(  # noqa: DJ001
        max_length=200, null=True, blank=True, help_text="From the API's Idempotency-Key."
    )
    waiting_until = models.DateTimeField(null=True, blank=True)
    waiting_for = models.JSONField(default=dict, blank=True)
    advance_token = models.IntegerField(
        default=1, help_text="Only the advance job carrying this number may move the run."
    )
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(default=clock.now, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "workflow run"
        db_table = "workflow_executions"
        # Every step rewrites its run's row: no index that nothing reads (such as the
        # LIKE indexes `db_index=True` adds to text columns).
        indexes = [
            models.Index(fields=["workflow", "user_id", "status"], name="executions_subject"),
            models.Index(fields=["user_id"], name="executions_user"),
            models.Index(fields=["status"], name="executions_status"),
        ]
        constraints = [
            # An event delivered twice by the bus starts one run, not two.
            models.UniqueConstraint(
                fields=["workflow", "trigger_event_id"],
                condition=models.Q(trigger_event_id__isnull=False),
                name="executions_one_per_trigger_event",
            ),
            # A repeated Idempotency-Key returns the run it started.
            models.UniqueConstraint(
                fields=["workflow", "idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False),
                name="executions_idempotency_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.workflow.name} #{self.pk}"


class WorkflowStepLog(models.Model):
    execution = models.ForeignKey(
        WorkflowExecution, on_delete=models.CASCADE, related_name="step_logs"
    )
    path = models.CharField(max_length=200)
    step_type = models.CharField(max_length=50)
    name = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=20)
    input = models.JSONField(default=dict, blank=True)
    output = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.IntegerField(default=0)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        db_table = "workflow_step_logs"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.path} {self.step_type}: {self.status}"


class HookReceipt(models.Model):
    """A signature a webhook trigger accepted, kept while its timestamp is fresh, so the
    same signed request cannot start a second run (a replay is answered 409)."""

    signature = models.CharField(max_length=100, unique=True)
    received_at = models.DateTimeField(default=clock.now, db_index=True)

    class Meta:
        db_table = "workflow_hook_receipts"

    def __str__(self) -> str:
        return f"hook signature {self.signature[:16]}... at {self.received_at}"
