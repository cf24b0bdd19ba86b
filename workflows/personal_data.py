"""Workflows' part of the kernel's personal-data registry: the source of an export (the
runs about them, with what each step did), and the eraser (runs still going are cancelled;
every run keeps its workflow, status and times under a pseudonym, and loses its context
and its steps' inputs and outputs)."""

from __future__ import annotations

from django.db.models import Q

from benchbarrier import clock
from benchbarrier.personal_data import Person, Rows, Source, register_eraser, register_source
from workflows.models import ACTIVE_STATUSES, ExecutionStatus, WorkflowExecution, WorkflowStepLog
from workflows.runs import finish, save


def _runs(user_id: str) -> Rows:
    runs = WorkflowExecution.objects.filter(user_id=user_id).select_related("workflow")
    for run in runs.order_by("started_at").prefetch_related("step_logs"):
        yield {"id": run.pk, "workflow": run.workflow.name, "status": run.status,
               "startedAt": run.started_at.isoformat(), "context": run.context,
               "steps": [{"step": log.name or log.step_type, "status": log.status,
                          "input": log.input, "output": log.output}
                         for log in run.step_logs.all()]}  # fmt: skip


register_source(Source("workflow_runs", "the automations that ran for them", _runs))


def _erase(person: Person) -> dict[str, int]:
    if not person.user_id:
        return {}
    runs = WorkflowExecution.objects.filter(user_id=person.user_id)
    active = list(runs.filter(status__in=ACTIVE_STATUSES).select_for_update())
    for run in active:  # as a cancel by hand: its pending advance job will find it ended
        finish(run, ExecutionStatus.CANCELLED, clock.now(), "cancelled: the data was erased")
        run.advance_token += 1
    save(active)
    steps = WorkflowStepLog.objects.filter(Q(execution__in=runs)).update(input={}, output={},
                                                                          error="")  # fmt: skip
    erased = runs.update(user_id=person.pseudonym, context={}, waiting_for={})
    return {"runs_cancelled": len(active), "runs": erased, "step_logs": steps}


register_eraser("workflows", _erase)
