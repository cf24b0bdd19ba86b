"""The workflow engine: start executions (in bulk), advance them one step per job,
pause, resume, cancel, end them on exit events, resume waits on events.

An execution's cursor points at the step it runs next. Each advance is a
`workflow.advance` job carrying the execution's `advance_token`; a job whose token is
stale (the run was paused, resumed or woken by an event meanwhile) does nothing. Waits
are jobs scheduled in the future, so they survive restarts and a Redis flush.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F

from benchbarrier import clock
from benchbarrier.bulk_sql import insert_rows, update_rows
from benchbarrier.durations import parse_duration
from benchbarrier.services.audit import Actor, record_audit
from jobs.models import Job
from jobs.services import JobSpec, enqueue_many, requeue_held
from workflows import cursor as cursors
from workflows.models import (
    ACTIVE_STATUSES,
    ExecutionStatus,
    Reentry,
    Workflow,
    WorkflowExecution,
    WorkflowStepLog,
)
from workflows.registry import StepRun, get_step
from workflows.schedules import sync_schedule

ADVANCE = "workflow.advance"


class WorkflowStateError(Exception):
    """The action does not fit the current state (e.g. cancel a finished run)."""


@dataclass(frozen=True)
class Start:
    user_id: str
    context: dict[str, Any]
    trigger_event_id: int | None = None


# --- starting -----------------------------------------------------------------------


def start_executions(workflow: Workflow, starts: list[Start]) -> list[WorkflowExecution]:
    """Create executions (those the re-entry rule allows) and queue their first step:
    a fixed number of queries however many starts."""
    if workflow.is_paused or not starts:
        return []
    starts = _allowed(workflow, starts)
    now = clock.now()
    definition = {"steps": workflow.steps}
    executions = WorkflowExecution.objects.bulk_create(
        [
            WorkflowExecution(
                workflow=workflow,
                definition=definition,
                status=ExecutionStatus.PENDING,
                cursor=list(cursors.START),
                context=start.context,
                user_id=start.user_id,
                trigger_event_id=start.trigger_event_id,
                started_at=now,
            )
            for start in starts
        ]
    )
    _queue_advances([(e, None) for e in executions])
    return executions


def start_execution(
    workflow: Workflow,
    *,
    context: dict[str, Any],
    user_id: str = "",
    actor: Actor | None = None,
    request: Any = None,
) -> WorkflowExecution | None:
    """One manual (or webhook, or scheduled) run; None when paused or re-entry forbids."""
    with transaction.atomic():
        started = start_executions(
            workflow, [Start(user_id, {"trigger": context, "userId": user_id})]
        )
        if started and (actor or request):
            record_audit(
                action="workflow.executed",
                target=started[0],
                changes={"workflow": workflow.name},
                actor=actor,
                request=request,
            )
    return started[0] if started else None


def _allowed(workflow: Workflow, starts: list[Start]) -> list[Start]:
    if workflow.reentry == Reentry.ALLOW:
        return starts
    users = {s.user_id for s in starts if s.user_id}
    existing = WorkflowExecution.objects.filter(workflow=workflow, user_id__in=users)
    if workflow.reentry == Reentry.ONE_AT_A_TIME:
        existing = existing.filter(status__in=ACTIVE_STATUSES)
    elif workflow.reentry == Reentry.ONCE_PER_PERIOD:
        existing = existing.filter(
            started_at__gte=clock.now() - parse_duration(workflow.reentry_period)
        )
    busy = set(existing.values_list("user_id", flat=True))
    allowed = []
    for start in starts:
        if start.user_id and start.user_id in busy:
            continue
        if start.user_id:
            busy.add(start.user_id)  # one per subject within the batch too
        allowed.append(start)
    return allowed


def _queue_advances(items: list[tuple[WorkflowExecution, datetime | None]]) -> None:
    enqueue_many(
        [
            JobSpec(ADVANCE, {"executionId": e.pk, "token": e.advance_token}, scheduled_for=when)
            for e, when in items
        ]
    )


# --- advancing ------------------------------------------------------------------------


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
        changed = []
        for execution in executions:
            if execution.advance_token != tokens[execution.pk]:
                continue  # a stale job: the run was moved on meanwhile
            if execution.status not in (
                ExecutionStatus.PENDING,
                ExecutionStatus.RUNNING,
                ExecutionStatus.WAITING,
            ):
                continue
            if execution.paused:
                execution.status = ExecutionStatus.PAUSED
                changed.append(execution)
                continue
            try:
                follow_up = _advance(execution, now, logs)
            except Exception as exc:
                failures[carrier[execution.pk].id] = exc
                continue
            changed.append(execution)
            if follow_up is not False:
                execution.advance_token += 1
                payload = {"executionId": execution.pk, "token": execution.advance_token}
                follow_ups.append((carrier[execution.pk], payload, follow_up))
        _write_logs(logs)
        _save(changed)
        requeue_held(follow_ups)
    return failures


def _advance(execution: WorkflowExecution, now: datetime, logs: list) -> datetime | bool | None:
    """Run one step; returns when to advance next (None: now), or False: not again."""
    definition = execution.definition
    here = execution.cursor
    step = cursors.step_at(definition, here)
    if execution.waiting_for:  # a waitForEvent whose timeout came first
        execution.waiting_for = {}
        logs.append(_log(execution, here, step, "timed_out", {}, {}, "", 0))
        return _move(execution, cursors.into(definition, here, "onTimeout"), now)
    if step is None:
        return _finish(execution, ExecutionStatus.COMPLETED, now)
    step_type = get_step(step.get("type", ""))
    if step_type is None:
        raise ValueError(f'{cursors.text(here)}: unknown step type "{step.get("type")}"')
    execution.status = ExecutionStatus.RUNNING
    started = time.perf_counter()
    run = StepRun(execution, step, cursors.text(here), execution.context, now)
    try:
        result = step_type.run(run)
    except Exception as exc:
        took = round((time.perf_counter() - started) * 1000)
        logs.append(
            _log(execution, here, step, "failed", step, {}, f"{type(exc).__name__}: {exc}", took)
        )
        raise
    took = round((time.perf_counter() - started) * 1000)
    if result.output:
        execution.context = {
            **execution.context,
            "steps": {**execution.context.get("steps", {}), run.path: result.output},
        }
    status = "waiting" if result.wait_until else "completed"
    logs.append(_log(execution, here, step, status, step, result.output, "", took))
    if result.exit:
        return _finish(execution, ExecutionStatus.COMPLETED, now)
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
    return _move(execution, following, now)


def _move(
    execution: WorkflowExecution, following: list | None, now: datetime
) -> datetime | bool | None:
    if following is None:
        return _finish(execution, ExecutionStatus.COMPLETED, now)
    execution.cursor = following
    execution.status = ExecutionStatus.RUNNING
    execution.waiting_until = None
    return None


def _finish(execution: WorkflowExecution, status: str, now: datetime, error: str = "") -> bool:
    execution.status = status
    execution.completed_at = now
    execution.waiting_until = None
    execution.waiting_for = {}
    execution.error = error
    return False


def _log(
    execution: WorkflowExecution,
    here: list,
    step: dict | None,
    status: str,
    given: dict,
    output: dict,
    error: str,
    took: int,
) -> WorkflowStepLog:
    step = step or {}
    return WorkflowStepLog(
        execution=execution,
        path=cursors.text(here),
        step_type=step.get("type", ""),
        name=step.get("name", ""),
        status=status,
        input=given,
        output=output,
        error=error,
        duration_ms=took,
    )


_LOG_COLUMNS = [
    ("execution_id", "bigint"),
    ("path", "text"),
    ("step_type", "text"),
    ("name", "text"),
    ("status", "text"),
    ("input", "jsonb"),
    ("output", "jsonb"),
    ("error", "text"),
    ("duration_ms", "integer"),
    ("created_at", "timestamptz"),
]


def _write_logs(logs: list[WorkflowStepLog]) -> None:
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


_FIELDS = [
    "status",
    "cursor",
    "context",
    "waiting_until",
    "waiting_for",
    "advance_token",
    "error",
    "completed_at",
]


def _save(executions: list[WorkflowExecution]) -> None:
    update_rows(
        WorkflowExecution._meta.db_table,
        _FIELDS,
        [
            (
                e.status,
                json.dumps(e.cursor),
                json.dumps(e.context, default=str),
                e.waiting_until,
                json.dumps(e.waiting_for),
                e.advance_token,
                e.error,
                e.completed_at,
                e.pk,
            )
            for e in executions
        ],
    )


def fail_execution(execution_id: int, error: str) -> None:
    """The step's job used up its attempts: the run fails with the error."""
    WorkflowExecution.objects.filter(pk=execution_id, status__in=ACTIVE_STATUSES).update(
        status=ExecutionStatus.FAILED, error=error[:5000], completed_at=clock.now()
    )


# --- control ------------------------------------------------------------------------


def pause_workflow(*, workflow: Workflow, actor: Actor, request: Any = None) -> int:
    """No new runs start; active runs show `paused` and stop before their next step."""
    with transaction.atomic():
        Workflow.objects.filter(pk=workflow.pk).update(is_paused=True, updated_at=clock.now())
        workflow.is_paused = True
        sync_schedule(workflow)
        paused = WorkflowExecution.objects.filter(
            workflow=workflow,
            status__in=(ExecutionStatus.PENDING, ExecutionStatus.RUNNING, ExecutionStatus.WAITING),
        ).update(status=ExecutionStatus.PAUSED)
        record_audit(
            action="workflow.paused",
            target=workflow,
            changes={"executions": paused},
            actor=actor,
            request=request,
        )
    return paused


def resume_workflow(*, workflow: Workflow, actor: Actor, request: Any = None) -> int:
    """Runs continue where they were; a wait that ended meanwhile goes on at once."""
    now = clock.now()
    with transaction.atomic():
        Workflow.objects.filter(pk=workflow.pk).update(is_paused=False, updated_at=now)
        workflow.is_paused = False
        sync_schedule(workflow)
        executions = list(
            WorkflowExecution.objects.select_for_update().filter(
                workflow=workflow, status=ExecutionStatus.PAUSED
            )
        )
        follow_ups = []
        for execution in executions:
            later = execution.waiting_until and execution.waiting_until > now
            execution.status = ExecutionStatus.WAITING if later else ExecutionStatus.RUNNING
            execution.advance_token += 1
            follow_ups.append((execution, execution.waiting_until if later else None))
        _save(executions)
        _queue_advances(follow_ups)
        record_audit(
            action="workflow.resumed",
            target=workflow,
            changes={"executions": len(executions)},
            actor=actor,
            request=request,
        )
    return len(executions)


def cancel_execution(
    *, execution: WorkflowExecution, actor: Actor, request: Any = None
) -> WorkflowExecution:
    with transaction.atomic():
        execution = WorkflowExecution.objects.select_for_update().get(pk=execution.pk)
        if execution.status not in ACTIVE_STATUSES:
            raise WorkflowStateError(
                f"the run is {execution.status}; only active runs can be cancelled"
            )
        _finish(execution, ExecutionStatus.CANCELLED, clock.now(), "cancelled by hand")
        execution.advance_token += 1
        _save([execution])
        record_audit(
            action="workflow_execution.cancelled", target=execution, actor=actor, request=request
        )
    return execution


# --- events from the bus ------------------------------------------------------------


def on_events(events: list[Any]) -> None:
    """Start event-triggered runs, end runs on their exit events, wake runs waiting for
    an event: a fixed number of queries per batch."""
    names = {e.event_name for e in events}
    workflows = list(Workflow.objects.filter(is_paused=False))
    for workflow in workflows:
        if workflow.trigger_type == "event" and workflow.trigger_config.get("event") in names:
            wanted = workflow.trigger_config["event"]
            start_executions(
                workflow,
                [
                    Start(e.user_id or "", _event_context(e), e.id)
                    for e in events
                    if e.event_name == wanted
                ],
            )
    exits = {
        w.pk: w.exit_events
        for w in workflows
        if any(x.get("event") in names for x in w.exit_events)
    }
    users = {e.user_id for e in events if e.user_id}
    if not users:
        return
    candidates = list(
        WorkflowExecution.objects.filter(user_id__in=users, status__in=ACTIVE_STATUSES).filter(
            workflow_id__in=list(exits)
        )
        | WorkflowExecution.objects.filter(
            user_id__in=users, status=ExecutionStatus.WAITING, waiting_for__event__in=list(names)
        )
    )
    if not candidates:
        return
    by_user: dict[str, list] = {}
    for event in events:
        if event.user_id:
            by_user.setdefault(event.user_id, []).append(event)
    now = clock.now()
    ended, woken, logs = [], [], []
    for execution in candidates:
        for event in by_user.get(execution.user_id, []):
            if _exits(execution, exits.get(execution.workflow_id, []), event):
                _finish(execution, ExecutionStatus.COMPLETED, now)
                execution.error = ""
                execution.advance_token += 1
                logs.append(
                    _log(
                        execution,
                        execution.cursor,
                        {"type": "exit", "name": f"exit event {event.event_name}"},
                        "exited",
                        {},
                        {"event": event.event_name, "eventId": event.id},
                        "",
                        0,
                    )
                )
                ended.append(execution)
                break
            if _wakes(execution, event):
                here = execution.cursor
                logs.append(
                    _log(
                        execution,
                        here,
                        cursors.step_at(execution.definition, here),
                        "event_received",
                        {},
                        {"event": event.event_name, "eventId": event.id},
                        "",
                        0,
                    )
                )
                execution.waiting_for = {}
                execution.advance_token += 1  # the pending timeout job is now stale
                following = cursors.into(execution.definition, here, "onEvent")
                if _move(execution, following, now) is False:
                    ended.append(execution)
                else:
                    woken.append(execution)
                break
    with transaction.atomic():
        _write_logs(logs)
        _save(ended + woken)
        _queue_advances([(e, None) for e in woken])


def _event_context(event: Any) -> dict[str, Any]:
    return {
        "trigger": event.properties,
        "event": {
            "name": event.event_name,
            "id": event.id,
            "timestamp": event.timestamp.isoformat(),
        },
        "userId": event.user_id or "",
    }


def _matches(keys: list[str] | dict[str, Any], execution: WorkflowExecution, event: Any) -> bool:
    trigger = execution.context.get("trigger", {})
    if isinstance(keys, dict):
        return all(event.properties.get(k) == v for k, v in keys.items())
    return all(event.properties.get(k) == trigger.get(k) for k in keys)


def _exits(execution: WorkflowExecution, exit_events: list[dict], event: Any) -> bool:
    return (
        any(
            x.get("event") == event.event_name and _matches(x.get("match", []), execution, event)
            for x in exit_events
        )
        and execution.trigger_event_id != event.id
    )


def _wakes(execution: WorkflowExecution, event: Any) -> bool:
    waiting = execution.waiting_for
    return (
        execution.status == ExecutionStatus.WAITING
        and waiting.get("event") == event.event_name
        and _matches(waiting.get("match", {}), execution, event)
    )
