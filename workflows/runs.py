"""A run's state, written in one place: its cursor moved, its end, its row saved, its
step logs, and the `workflow.advance` job that carries it to its next step.

The engine (`workflows.engine`), the lifecycle actions (`workflows.services`) and the
event triggers (`workflows.triggers`) change runs only through these functions. Each
advance job carries the run's `advance_token`; bumping the token makes any older job
of the run stale (it then does nothing), which is how pausing, resuming, cancelling
and events take a run away from a job already queued.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from benchbarrier import clock, telemetry
from benchbarrier.bulk_sql import insert_rows, update_rows
from jobs.services import JobSpec, enqueue_many
from workflows import cursor as cursors
from workflows.models import ACTIVE_STATUSES, ExecutionStatus, WorkflowExecution, WorkflowStepLog

ADVANCE = "workflow.advance"


class WorkflowStateError(Exception):
    """The action does not fit the current state (e.g. cancel a finished run)."""


def advance_payload(execution: WorkflowExecution) -> dict[str, int]:
    return {"executionId": execution.pk, "token": execution.advance_token}


def queue_advances(items: list[tuple[WorkflowExecution, datetime | None]]) -> None:
    """A new advance job for each run, due at the time given (None: now)."""
    enqueue_many([JobSpec(ADVANCE, advance_payload(e), scheduled_for=when) for e, when in items])


def move(execution: WorkflowExecution, following: list | None, now: datetime) -> bool | None:
    """Point the run at `following` (None when the steps ran out: it completes).
    Returns None (advance again now) or False (not again), as the engine's steps do."""
    if following is None:
        return finish(execution, ExecutionStatus.COMPLETED, now)
    execution.cursor = following
    execution.status = ExecutionStatus.RUNNING
    execution.waiting_until = None
    return None


def finish(execution: WorkflowExecution, status: str, now: datetime, error: str = "") -> bool:
    """End the run with `status`; returns False (no further advance)."""
    telemetry.WORKFLOW_RUNS.labels(str(execution.workflow_id), status).inc()
    execution.status = status
    execution.completed_at = now
    execution.waiting_until = None
    execution.waiting_for = {}
    execution.error = error
    return False


def step_log(
    execution: WorkflowExecution,
    here: list,
    step: dict | None,
    status: str,
    *,
    given: dict | None = None,
    output: dict | None = None,
    error: str = "",
    took_ms: int = 0,
) -> WorkflowStepLog:
    step = step or {}
    return WorkflowStepLog(
        execution=execution,
        path=cursors.text(here),
        step_type=step.get("type", ""),
        name=step.get("name", ""),
        status=status,
        input=given or {},
        output=output or {},
        error=error,
        duration_ms=took_ms,
    )


_LOG_COLUMNS = [
    ("execution_id", "bigint"), ("path", "text"), ("step_type", "text"), ("name", "text"),
    ("status", "text"), ("input", "jsonb"), ("output", "jsonb"), ("error", "text"),
    ("duration_ms", "integer"), ("created_at", "timestamptz"),
]  # fmt: skip


def write_logs(logs: list[WorkflowStepLog]) -> None:
    """One INSERT for the step logs of a batch (no model round trip: ids unused)."""
    insert_rows(
        WorkflowStepLog._meta.db_table,
        _LOG_COLUMNS,
        [
            (log.execution_id, log.path, log.step_type, log.name, log.status,
             json.dumps(log.input, default=str), json.dumps(log.output, default=str),
             log.error, log.duration_ms, log.created_at)
            for log in logs
        ],
        staged=len(logs) > 100,  # a claim batch's worth goes as plain VALUES
    )  # fmt: skip


_FIELDS = ["status", "cursor", "context", "waiting_until", "waiting_for", "advance_token",
           "error", "completed_at"]  # fmt: skip


def save(executions: list[WorkflowExecution]) -> None:
    """Write the runs' changed state: one pipelined UPDATE for all of them."""
    update_rows(
        WorkflowExecution._meta.db_table,
        _FIELDS,
        [
            (e.status, json.dumps(e.cursor), json.dumps(e.context, default=str),
             e.waiting_until, json.dumps(e.waiting_for), e.advance_token, e.error,
             e.completed_at, e.pk)
            for e in executions
        ],
    )  # fmt: skip


def fail_execution(execution_id: int, error: str) -> None:
    """The run's job failed for good: the run fails with the error."""
    active = WorkflowExecution.objects.filter(pk=execution_id, status__in=ACTIVE_STATUSES)
    workflow = active.values_list("workflow_id", flat=True).first()
    if active.update(status=ExecutionStatus.FAILED, error=error[:5000], completed_at=clock.now()):
        telemetry.WORKFLOW_RUNS.labels(str(workflow), ExecutionStatus.FAILED).inc()


def on_advance_failed(job: Any) -> None:
    """`on_failed` of the advance job: in the transaction that fails the job."""
    fail_execution(job.payload["executionId"], job.error_message)
