"""A workflow's life and its runs' lifecycle: save (validated, audited, schedule kept
in step), delete, start runs (one or in bulk), pause, resume, cancel a run.

Runs' rows and step logs are written through `workflows.runs`; the steps themselves
are run by `workflows.engine`; events reach runs through `workflows.triggers`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction

from benchbarrier import clock
from benchbarrier.durations import parse_duration
from benchbarrier.services.api_keys import default_rotation_grace
from benchbarrier.services.audit import Actor, record_audit
from workflows import cursor as cursors
from workflows import runs
from workflows.definition import step_needing_subject, validate_definition
from workflows.models import ACTIVE_STATUSES, ExecutionStatus, Reentry, Workflow, WorkflowExecution
from workflows.registry import event_namespace, known_subjects
from workflows.runs import WorkflowStateError
from workflows.schedules import remove_schedule, sync_schedule

__all__ = [
    "Start", "StartRefused", "WorkflowStateError", "cancel_execution", "delete_workflow",
    "pause_workflow", "resume_workflow", "run_context", "save_workflow", "start_execution",
    "start_execution_once", "start_executions",
]  # fmt: skip


class StartRefused(ValueError):
    """A run that could never do its work (it emails its customer, and there is none);
    `field` names the input at fault."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


DEFINITION_FIELDS = (
    "trigger_type",
    "trigger_config",
    "steps",
    "exit_events",
    "reentry",
    "reentry_period",
    "settings",
)


def save_workflow(
    *, workflow: Workflow | None = None, actor: Actor, request: Any = None, **fields: Any
) -> Workflow:
    """Create or update a workflow. Raises workflows.definition.DefinitionError naming
    every problem by path; nothing is saved then. Running executions keep the
    definition they started with."""
    workflow = workflow or Workflow()
    created = workflow.pk is None
    for name, value in fields.items():
        setattr(workflow, name, value)
    validate_definition(**{name: getattr(workflow, name) for name in DEFINITION_FIELDS})
    workflow.updated_at = clock.now()
    if not created and any(name in fields for name in DEFINITION_FIELDS):
        workflow.version += 1
    with transaction.atomic():
        workflow.save()
        sync_schedule(workflow)
        record_audit(
            action="workflow.created" if created else "workflow.updated",
            target=workflow,
            changes={"fields": sorted(fields), "version": workflow.version},
            actor=actor,
            request=request,
        )
    return workflow


def delete_workflow(*, workflow: Workflow, actor: Actor, request: Any = None) -> bool:
    """Delete a workflow that never ran; one with runs is archived instead (paused, out of
    the default lists, its history kept, restorable). Returns whether it was archived."""
    if WorkflowExecution.objects.filter(workflow=workflow).exists():
        with transaction.atomic():
            pause_workflow(workflow=workflow, actor=actor, request=request)
            remove_schedule(workflow)
            workflow.archived_at = clock.now()
            Workflow.objects.filter(pk=workflow.pk).update(archived_at=workflow.archived_at)
            changes = {"name": workflow.name}
            record_audit(action="workflow.archived", target=workflow, changes=changes,
                         actor=actor, request=request)  # fmt: skip
        return True
    with transaction.atomic():
        remove_schedule(workflow)
        record_audit(
            action="workflow.deleted",
            target=workflow,
            changes={"name": workflow.name},
            actor=actor,
            request=request,
        )
        workflow.delete()
    return False


def restore_workflow(*, workflow: Workflow, actor: Actor, request: Any = None) -> Workflow:
    """Back in the lists, still paused: resume it when it should run again."""
    with transaction.atomic():
        Workflow.objects.filter(pk=workflow.pk).update(archived_at=None)
        workflow.archived_at = None
        sync_schedule(workflow)
        record_audit(action="workflow.restored", target=workflow, actor=actor, request=request)
    return workflow


# --- starting runs ------------------------------------------------------------------------


@dataclass(frozen=True)
class Start:
    user_id: str
    context: dict[str, Any]
    trigger_event_id: int | None = None
    idempotency_key: str | None = None


def run_context(
    workflow: Workflow, trigger: dict[str, Any], user_id: str, event_name: str = ""
) -> dict[str, Any]:
    """A new run's context: `trigger` (what started it), `userId`, and the trigger's
    properties again under the event's namespace (`cart` for `cart.abandoned`), so the
    seed's `"variables": ["cart.items"]` read them."""
    context: dict[str, Any] = {"trigger": trigger, "userId": user_id}
    if not event_name and workflow.trigger_type == "event":
        event_name = str(workflow.trigger_config.get("event", ""))
    namespace = event_namespace(event_name)
    if namespace:
        context[namespace] = trigger
    return context


def check_subject(workflow: Workflow, user_id: str) -> None:
    """Raises StartRefused when the workflow's steps need the run's customer (an email
    without `to`, a profile update) and the site user id names none."""
    needy = step_needing_subject(workflow.steps)
    if needy is None:
        return
    if not user_id:
        raise StartRefused("userId", f"required: {needy} needs the customer the run is about")
    if not known_subjects({user_id}):
        raise StartRefused(
            "userId", f'no customer has the site user id "{user_id}", and {needy} needs one'
        )


def start_executions(workflow: Workflow, starts: list[Start]) -> list[WorkflowExecution]:
    """Create executions (those the re-entry rule allows, and at most one per workflow
    and trigger event, so an event delivered twice starts one run) and queue their
    first step: a fixed number of queries however many starts."""
    if workflow.is_paused or not starts:
        return []
    starts = _allowed(workflow, _not_started_yet(workflow, starts))
    now = clock.now()
    definition = {"steps": workflow.steps, "settings": workflow.settings}
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
                idempotency_key=start.idempotency_key,
                started_at=now,
            )
            for start in starts
        ]
    )
    runs.queue_advances([(e, None) for e in executions])
    return executions


def start_execution(
    workflow: Workflow,
    *,
    context: dict[str, Any],
    user_id: str = "",
    idempotency_key: str | None = None,
    actor: Actor | None = None,
    request: Any = None,
) -> WorkflowExecution | None:
    """One manual (or webhook, or scheduled) run; None when paused or re-entry forbids.
    Raises StartRefused when the run could never do its work (see `check_subject`)."""
    if workflow.is_paused:
        return None
    check_subject(workflow, user_id)
    start = Start(user_id, run_context(workflow, context, user_id), None, idempotency_key)
    with transaction.atomic():
        started = start_executions(workflow, [start])
        if started and (actor or request):
            record_audit(
                action="workflow.executed",
                target=started[0],
                changes={"workflow": workflow.name},
                actor=actor,
                request=request,
            )
    return started[0] if started else None


def start_execution_once(
    workflow: Workflow, *, idempotency_key: str, **kwargs: Any
) -> tuple[WorkflowExecution | None, bool]:
    """`start_execution` keyed by the caller's Idempotency-Key: the run that key started
    before is returned (created False) instead of a second one, even when two requests
    race (the key is unique per workflow)."""
    existing = WorkflowExecution.objects.filter(
        workflow=workflow, idempotency_key=idempotency_key
    ).first()
    if existing is not None:
        return existing, False
    try:
        execution = start_execution(workflow, idempotency_key=idempotency_key, **kwargs)
    except IntegrityError:
        return WorkflowExecution.objects.get(
            workflow=workflow, idempotency_key=idempotency_key
        ), False
    return execution, execution is not None


def _not_started_yet(workflow: Workflow, starts: list[Start]) -> list[Start]:
    events = [s.trigger_event_id for s in starts if s.trigger_event_id is not None]
    if not events:
        return starts
    seen = set(
        WorkflowExecution.objects.filter(
            workflow=workflow, trigger_event_id__in=events
        ).values_list("trigger_event_id", flat=True)
    )
    return [s for s in starts if s.trigger_event_id is None or s.trigger_event_id not in seen]


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


# --- pause, resume, cancel ------------------------------------------------------------------


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
        runs.save(executions)
        runs.queue_advances(follow_ups)
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
    """End an active run by hand (WorkflowStateError for a finished one)."""
    with transaction.atomic():
        execution = WorkflowExecution.objects.select_for_update().get(pk=execution.pk)
        if execution.status not in ACTIVE_STATUSES:
            raise WorkflowStateError(
                f"the run is {execution.status}; only active runs can be cancelled"
            )
        runs.finish(execution, ExecutionStatus.CANCELLED, clock.now(), "cancelled by hand")
        execution.advance_token += 1
        runs.save([execution])
        record_audit(
            action="workflow_execution.cancelled", target=execution, actor=actor, request=request
        )
    return execution


def rotate_webhook_secret(*, workflow: Workflow, actor: Actor, request: Any = None,
                          grace: timedelta | None = None) -> Workflow:  # fmt: skip
    """A new secret for the workflow's hook; the old one is still accepted for `grace`
    (default API_KEY_ROTATION_GRACE) so the sender can switch over without a refusal."""
    now = clock.now()
    grace = default_rotation_grace() if grace is None else grace
    with transaction.atomic():
        workflow = Workflow.objects.select_for_update().get(pk=workflow.pk)
        workflow.previous_webhook_secret = workflow.webhook_secret
        workflow.previous_secret_until = now + grace
        workflow.webhook_secret = secrets.token_urlsafe(24)
        workflow.webhook_secret_set_at = now
        workflow.save(update_fields=["previous_webhook_secret", "previous_secret_until",
                                     "webhook_secret", "webhook_secret_set_at"])  # fmt: skip
        until = workflow.previous_secret_until
        record_audit(action="workflow.webhook_secret_rotated", target=workflow, actor=actor,
                     request=request, changes={"oldSecretUntil": until})  # fmt: skip
    return workflow
