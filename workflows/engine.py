"""The step interpreter: each claimed `workflow.advance` job runs the next step of its
run, then carries the run on (requeued for the next step, due now or when a wait ends).

An execution's cursor points at the step it runs next. A job whose token is stale (the
run was paused, resumed, cancelled or woken by an event meanwhile) does nothing. Waits
are the job scheduled in the future, so they survive restarts and a Redis flush.
Starting, pausing and cancelling runs are `workflows.services`; events are
`workflows.triggers`; the run's row and logs are written by `workflows.runs`.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F

from benchbarrier import clock
from jobs.models import Job
from jobs.services import requeue_held
from workflows import cursor as cursors
from workflows import runs
from workflows.models import ExecutionStatus, WorkflowExecution, WorkflowStepLog
from workflows.registry import StepBatch, StepRun, get_step

RUNNABLE = (ExecutionStatus.PENDING, ExecutionStatus.RUNNING, ExecutionStatus.WAITING)


def advance_many(jobs: list[Job]) -> dict[Any, Exception]:
    """Run the next step of the execution each claimed `workflow.advance` job names (a
    job whose token is stale does nothing); returns {job id: error} for steps that
    raised (their job retries; the last failure fails the run). The job of a step that
    ran carries its run on: it is requeued, in the same transaction, for the next step."""
    now = clock.now()
    carrier = {
        job.payload["executionId"]: job for job in sorted(jobs, key=lambda j: j.payload["token"])
    }
    tokens = {execution_id: job.payload["token"] for execution_id, job in carrier.items()}
    failures: dict[Any, Exception] = {}
    logs: list[WorkflowStepLog] = []
    follow_ups: list[tuple[Job, dict[str, Any], datetime | None]] = []
    # No savepoint in a caller's transaction: a step's error is caught, not rolled back.
    with transaction.atomic(savepoint=False):
        executions = list(
            WorkflowExecution.objects.select_for_update(of=("self",))
            .annotate(paused=F("workflow__is_paused"))
            .filter(pk__in=list(tokens))
            .order_by("pk")
        )
        live = [
            e
            for e in executions
            if e.advance_token == tokens[e.pk] and e.status in RUNNABLE  # else stale
        ]
        batch = StepBatch([e for e in live if not e.paused])
        changed = []
        for execution in live:
            if execution.paused:
                execution.status = ExecutionStatus.PAUSED
                changed.append(execution)
                continue
            try:
                follow_up = _advance(execution, batch, now, logs)
            except Exception as exc:
                failures[carrier[execution.pk].id] = exc
                continue
            changed.append(execution)
            if follow_up is not False:
                execution.advance_token += 1
                follow_ups.append(
                    (carrier[execution.pk], runs.advance_payload(execution), follow_up)
                )
        runs.write_logs(logs)
        runs.save(changed)
        requeue_held(follow_ups)
    return failures


def _advance(
    execution: WorkflowExecution, batch: StepBatch, now: datetime, logs: list
) -> datetime | bool | None:
    """Run one step; returns when to advance next (None: now), or False: not again."""
    definition = execution.definition
    here = execution.cursor
    step = cursors.step_at(definition, here)
    if execution.waiting_for:  # a waitForEvent whose timeout came first
        execution.waiting_for = {}
        logs.append(runs.step_log(execution, here, step, "timed_out"))
        return runs.move(execution, cursors.into(definition, here, "onTimeout"), now)
    if step is None:
        return runs.finish(execution, ExecutionStatus.COMPLETED, now)
    step_type = get_step(step.get("type", ""))
    if step_type is None:
        raise ValueError(f'{cursors.text(here)}: unknown step type "{step.get("type")}"')
    execution.status = ExecutionStatus.RUNNING
    started = time.perf_counter()
    run = StepRun(execution, step, cursors.text(here), execution.context, now, batch)
    try:
        result = step_type.run(run)
    except Exception as exc:
        took = round((time.perf_counter() - started) * 1000)
        error = f"{type(exc).__name__}: {exc}"
        logs.append(runs.step_log(execution, here, step, "failed", given=step, error=error,
                                  took_ms=took))  # fmt: skip
        raise
    took = round((time.perf_counter() - started) * 1000)
    if result.output:
        execution.context = {
            **execution.context,
            "steps": {**execution.context.get("steps", {}), run.path: result.output},
        }
    status = "waiting" if result.wait_until else "completed"
    logs.append(runs.step_log(execution, here, step, status, given=step, output=result.output,
                              took_ms=took))  # fmt: skip
    if result.exit:
        return runs.finish(execution, ExecutionStatus.COMPLETED, now)
    if result.wait_for is not None:
        execution.waiting_for = result.wait_for
        execution.waiting_until = result.wait_until
        execution.status = ExecutionStatus.WAITING
        return result.wait_until
    following = (
        cursors.into(definition, here, result.branch)
        if result.branch
        else cursors.after(definition, here)
    )
    if result.wait_until is not None:
        execution.cursor = following if following is not None else [*execution.cursor, "end"]
        execution.waiting_until = result.wait_until
        execution.status = ExecutionStatus.WAITING
        return result.wait_until
    return runs.move(execution, following, now)
