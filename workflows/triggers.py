"""Events reaching workflows (from the bus consumer in `workflows.consumers`):

- **start**: an event that is a workflow's trigger starts runs, in bulk;
- **exit**: an event that is one of a workflow's exit events (matching the trigger's
  keys, e.g. the same `cartId`) ends that customer's running runs;
- **wake**: an event a run waits for (`waitForEvent`, same keys) moves it on.

A fixed number of queries per batch. Delivering the same batch again changes nothing:
a trigger event starts at most one run per workflow, an ended run stays ended, and a
woken run no longer waits.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.db import transaction

from benchbarrier import clock
from benchbarrier.events import BusEvent
from workflows import cursor as cursors
from workflows import runs
from workflows.models import ACTIVE_STATUSES, ExecutionStatus, Workflow, WorkflowExecution
from workflows.services import Start, run_context, start_executions


def on_events(events: list[BusEvent]) -> None:
    names = {e.event_name for e in events}
    workflows = list(Workflow.objects.filter(is_paused=False))
    with transaction.atomic():
        start_triggered(workflows, events)
        exits = {w.pk: w.exit_events for w in workflows if _exit_names(w) & names}
        end_or_wake(events, exits)


def start_triggered(workflows: list[Workflow], events: list[BusEvent]) -> None:
    """Start the runs of every event-triggered workflow whose event is in the batch (and
    has the properties its trigger's `filter` asks for)."""
    for workflow in workflows:
        if workflow.trigger_type != "event":
            continue
        wanted = workflow.trigger_config.get("event")
        required = workflow.trigger_config.get("filter") or {}
        starts = [
            Start(e.user_id or "", event_context(workflow, e), e.id)
            for e in events
            if e.event_name == wanted
            and all(e.properties.get(key) == value for key, value in required.items())
        ]
        if starts:
            start_executions(workflow, starts)


def event_context(workflow: Workflow, event: BusEvent) -> dict[str, Any]:
    """A run's context when an event starts it: the event's properties as `trigger` and
    under the event's namespace (`cart` for `cart.abandoned`), and the event itself."""
    context = run_context(workflow, event.properties, event.user_id or "", event.event_name)
    context["event"] = {
        "name": event.event_name,
        "id": event.id,
        "timestamp": event.timestamp.isoformat(),
    }
    return context


def end_or_wake(events: list[BusEvent], exits: dict[int, list[dict[str, Any]]]) -> None:
    """End runs on their exit events and wake runs waiting for an event of the batch."""
    by_user: dict[str, list[BusEvent]] = defaultdict(list)
    for event in events:
        if event.user_id:
            by_user[event.user_id].append(event)
    candidates = _candidates(set(by_user), {e.event_name for e in events}, list(exits))
    now = clock.now()
    ended, woken, logs = [], [], []
    for execution in candidates:
        for event in by_user[execution.user_id]:
            if _exits(execution, exits.get(execution.workflow_id, []), event):
                logs.append(_end(execution, event, now))
                ended.append(execution)
                break
            if _wakes(execution, event):
                logs.append(_wake(execution, event, now))
                (ended if execution.status == ExecutionStatus.COMPLETED else woken).append(
                    execution
                )
                break
    runs.write_logs(logs)
    runs.save(ended + woken)
    runs.queue_advances([(e, None) for e in woken])


def _candidates(
    users: set[str], names: set[str], exiting_workflows: list[int]
) -> list[WorkflowExecution]:
    if not users:
        return []
    return list(
        WorkflowExecution.objects.filter(
            user_id__in=users, status__in=ACTIVE_STATUSES, workflow_id__in=exiting_workflows
        )
        | WorkflowExecution.objects.filter(
            user_id__in=users, status=ExecutionStatus.WAITING, waiting_for__event__in=list(names)
        )
    )


def _end(execution: WorkflowExecution, event: BusEvent, now: datetime) -> Any:
    runs.finish(execution, ExecutionStatus.COMPLETED, now)
    execution.advance_token += 1  # its queued advance is now stale
    return runs.step_log(
        execution,
        execution.cursor,
        {"type": "exit", "name": f"exit event {event.event_name}"},
        "exited",
        output={"event": event.event_name, "eventId": event.id},
    )


def _wake(execution: WorkflowExecution, event: BusEvent, now: datetime) -> Any:
    here = execution.cursor
    log = runs.step_log(
        execution,
        here,
        cursors.step_at(execution.definition, here),
        "event_received",
        output={"event": event.event_name, "eventId": event.id},
    )
    execution.waiting_for = {}
    execution.advance_token += 1  # the pending timeout job is now stale
    runs.move(execution, cursors.into(execution.definition, here, "onEvent"), now)
    return log


def _exit_names(workflow: Workflow) -> set[str]:
    return {x.get("event") for x in workflow.exit_events}


def _matches(keys: list[str] | dict[str, Any], execution: WorkflowExecution, event: Any) -> bool:
    trigger = execution.context.get("trigger", {})
    if isinstance(keys, dict):
        return all(event.properties.get(k) == v for k, v in keys.items())
    return all(event.properties.get(k) == trigger.get(k) for k in keys)


def _exits(execution: WorkflowExecution, exit_events: list[dict], event: Any) -> bool:
    return execution.trigger_event_id != event.id and any(
        x.get("event") == event.event_name and _matches(x.get("match", []), execution, event)
        for x in exit_events
    )


def _wakes(execution: WorkflowExecution, event: Any) -> bool:
    waiting = execution.waiting_for
    return (
        execution.status == ExecutionStatus.WAITING
        and waiting.get("event") == event.event_name
        and _matches(waiting.get("match", {}), execution, event)
    )
