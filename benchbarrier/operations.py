"""The admin's operations page: panels like the dashboard's, registered by the app that owns
the data from its `monitoring.py` (the queue by jobs, runs by workflows, email by
marketing), with the kernel's own first: the alerts firing, the evaluations, the workers,
spend against budgets. Charts of the last 24 hours read the samples the alert evaluation
keeps every minute (`MonitorSample`)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

from django.http import HttpRequest
from django.utils import timezone

from benchbarrier import clock
from benchbarrier.alert_signals import get_signal
from benchbarrier.charts import bar_chart
from benchbarrier.dashboard import Figure, Panel, PanelRegistry, list_link
from benchbarrier.models import (
    AlertRule,
    AlertState,
    AlertStatus,
    Budget,
    MonitorSample,
    WorkerHeartbeat,
)
from benchbarrier.services.alerts import evaluations_stalled, last_evaluation
from benchbarrier.services.spend import month_totals, spent_of

_operations = PanelRegistry()
operations_panel = _operations.register
panels = _operations.panels


def hourly(signal: str, now: datetime, *, combine: str = "sum") -> list[tuple[str, float]]:
    """The last 24 hours of a sampled signal, one bar an hour: per evaluation the groups
    summed (or their max), then the hour's highest."""
    since = now - timedelta(hours=24)
    per_evaluation: dict[datetime, list[Decimal]] = defaultdict(list)
    for at, value in MonitorSample.objects.filter(signal=signal, at__gt=since).values_list(
        "at", "value"
    ):
        per_evaluation[at].append(value)
    hours: dict[int, float] = defaultdict(float)
    for at, values in per_evaluation.items():
        total = float(sum(values) if combine == "sum" else max(values))
        slot = int((now - at).total_seconds() // 3600)
        hours[slot] = max(hours[slot], total)
    return [(timezone.localtime(now - timedelta(hours=h)).strftime("%H:00"), hours.get(h, 0))
            for h in range(23, -1, -1)]  # fmt: skip


def share_tone(share: float, warn: float, bad: float) -> str:
    return "bad" if share >= bad else "warn" if share >= warn else "good"


@operations_panel("Alerts firing", order=0)
def firing(request: HttpRequest) -> Panel:
    states = AlertState.objects.filter(status=AlertStatus.FIRING).select_related("rule")
    figures = []
    for state in states.order_by("firing_since")[:12]:
        signal = get_signal(state.rule.signal)
        where = f" ({state.group})" if state.group else ""
        figures.append(Figure(f"{state.rule.name}{where}", f"{state.value.normalize():f}"
                              f" {signal.unit if signal else ''}".strip(),
                              signal.link(state.group) if signal else "", "bad"))  # fmt: skip
    note = "Nothing firing." if not figures else "Each links to what shows the cause."
    return Panel("Alerts firing", figures=figures, note=note,
                 link=list_link(AlertRule))  # fmt: skip


@operations_panel("Alert evaluation", order=5)
def evaluation(request: HttpRequest) -> Panel:
    last = last_evaluation()
    stalled = evaluations_stalled()
    when = timezone.localtime(last).strftime("%H:%M:%S") if last else "never"
    alive = WorkerHeartbeat.objects.alive()
    workers = [Figure(w.hostname, "alive", list_link(WorkerHeartbeat), "good") for w in alive]
    return Panel("Evaluation and workers", figures=[
        Figure("last alert evaluation", when, list_link(AlertRule),
               "bad" if stalled or not last else "good"),
        Figure("workers with a heartbeat", str(len(workers)), list_link(WorkerHeartbeat),
               "good" if workers else "bad"),
        *workers[:6],
    ], note="Beat evaluates the rules every minute; a stale time means beat is down."
            if stalled else "")  # fmt: skip


@operations_panel("Spend against budgets", order=60)
def budgets(request: HttpRequest) -> Panel:
    totals = month_totals(clock.now())
    figures = []
    for budget in Budget.objects.all():
        spent = spent_of(budget.service, totals)
        share = float(spent / budget.monthly_limit * 100) if budget.monthly_limit else 0.0
        figures.append(Figure(f"{budget.label} of {budget.monthly_limit} {budget.currency}",
                              f"{share:.0f}%", list_link(Budget),
                              share_tone(share, budget.warn_at_percent, 100)))  # fmt: skip
    return Panel("Spend against budgets (this month)", figures=figures, link=list_link(Budget))


def chart_of(signal: str, title: str, unit: str = "", *, combine: str = "sum") -> str:
    points = hourly(signal, clock.now(), combine=combine)
    return bar_chart(points, title=title, unit=unit, width=330, height=70)
