"""What monitoring reads from workflows: the runs that failed (the seed's workflow errors),
the age of each webhook secret (the seed's monthly rotation), and the operations page's
runs by status."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Count
from django.http import HttpRequest
from django.urls import reverse

from benchbarrier import clock
from benchbarrier.alert_signals import Measurement, Signal, register_signal
from benchbarrier.dashboard import Figure, Panel
from benchbarrier.operations import operations_panel
from workflows.models import ExecutionStatus, Workflow, WorkflowExecution


def _failed_runs(window: timedelta, now: datetime) -> dict[str, Measurement]:
    rows = (WorkflowExecution.objects
            .filter(status=ExecutionStatus.FAILED, completed_at__gt=now - window,
                    completed_at__lte=now)
            .values("workflow__name").annotate(n=Count("id")))  # fmt: skip
    return {r["workflow__name"]: Measurement(Decimal(r["n"]), r["n"]) for r in rows}


def _secret_ages(window: timedelta, now: datetime) -> dict[str, Measurement]:
    """Days since each live webhook workflow's signing secret was set."""
    hooks = Workflow.objects.filter(trigger_type="webhook", archived_at__isnull=True)
    return {w.name: Measurement(Decimal((now - w.webhook_secret_set_at).days), None,
                                f"set {w.webhook_secret_set_at:%Y-%m-%d}")
            for w in hooks.only("name", "webhook_secret_set_at")}  # fmt: skip


register_signal(Signal(
    "workflows.webhook_secret_age", "Days since each webhook workflow's signing secret was "
    "set (rotate monthly).", "days", _secret_ages,
    lambda group: reverse("admin:workflows_workflow_changelist") + "?trigger_type__exact=webhook",
))  # fmt: skip


def _runs_link(group: str) -> str:
    link = f"{reverse('admin:workflows_workflowexecution_changelist')}?status__exact=failed"
    workflow = Workflow.objects.filter(name=group).values_list("pk", flat=True).first()
    return f"{link}&workflow__id__exact={workflow}" if workflow else link


register_signal(Signal(
    "workflows.failed_runs", "Workflow runs that failed in the window, per workflow.", "runs",
    _failed_runs, _runs_link,
))  # fmt: skip


@operations_panel("Workflow runs", order=30)
def runs_panel(request: HttpRequest) -> Panel:
    since = clock.now() - timedelta(hours=24)
    counts = dict(WorkflowExecution.objects.filter(started_at__gte=since).values("status")
                  .annotate(n=Count("id")).values_list("status", "n"))  # fmt: skip
    link = reverse("admin:workflows_workflowexecution_changelist")
    tones = {ExecutionStatus.FAILED: "bad", ExecutionStatus.COMPLETED: "good"}
    return Panel("Workflow runs started in 24 h", figures=[
        Figure(label.lower(), f"{counts.get(value, 0):,}", f"{link}?status__exact={value}",
               tones.get(value, "") if counts.get(value) else "")
        for value, label in ExecutionStatus.choices
    ], link=link)  # fmt: skip
