"""Alert rules, evaluated every minute (the `alerts.evaluate` job; `manage.py
alerts_evaluate`), with the semantics operators know from Prometheus and Alertmanager:

- a rule's condition must hold `for` its duration before it fires (pending until then);
- one state per group (a job type, a workflow...): thirty failed jobs of one type are one
  alert, and all groups that fire together go out in one notification per rule;
- while firing, a reminder at most every `repeat_interval`;
- the resolved notice goes out in the evaluation that sees the condition clear;
- an active silence holds notifications back (the history still records everything;
  an alert still firing when its silence ends is notified then).

Notifications: email to ALERT_EMAILS (else the active superusers) through the kernel's
mailer, and a Slack-compatible webhook (ALERT_WEBHOOK_URL) signed like outbound workflow
webhooks, each with what fired, the value, since when and a link to the admin page that
shows the cause.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Q

from benchbarrier import clock
from benchbarrier.alert_signals import Measurement, get_signal, signals
from benchbarrier.models import (
    AlertEvent,
    AlertEventKind,
    AlertRule,
    AlertState,
    AlertStatus,
    Comparison,
    MonitorRun,
    MonitorSample,
    Silence,
)
from benchbarrier.services.alert_notices import Notice, send_notice

logger = logging.getLogger(__name__)
SAMPLES_KEPT = timedelta(hours=48)


@dataclass
class Outcome:
    evaluated: int = 0
    fired: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    notifications: int = 0
    skipped: str = ""


def evaluate_all(now: datetime | None = None) -> Outcome:
    """Evaluate every enabled rule once; an evaluation already running elsewhere makes
    this one a no-op (they never overlap)."""
    now = now or clock.now()
    with transaction.atomic():
        MonitorRun.objects.get_or_create(pk=1)
        run = MonitorRun.objects.select_for_update(skip_locked=True).filter(pk=1).first()
        if run is None:
            return Outcome(skipped="another evaluation is running")
        run.last_started_at = now
        outcome = Outcome()
        for rule in AlertRule.objects.filter(enabled=True).order_by("pk"):
            _evaluate(rule, now, outcome)
            outcome.evaluated += 1
        _sample(now)
        run.last_finished_at = clock.now()
        run.save(update_fields=["last_started_at", "last_finished_at"])
    return outcome


def _evaluate(rule: AlertRule, now: datetime, outcome: Outcome) -> None:
    signal = get_signal(rule.signal)
    if signal is None:
        logger.warning("alert rule %s watches an unknown signal %r", rule.key, rule.signal)
        return
    try:
        measured = signal.measure(rule.window, now)
    except Exception:
        logger.exception("alert rule %s: its signal %s failed", rule.key, rule.signal)
        return
    breaching = {group: m for group, m in measured.items() if _breaches(rule, m)}
    states = {s.group: s for s in AlertState.objects.filter(rule=rule)}
    notices = []
    for group, measurement in breaching.items():
        notice = _hold(rule, states.get(group), group, measurement, now)
        if notice is not None:
            notices.append(notice)
            if notice.kind == AlertEventKind.FIRING:
                outcome.fired.append(f"{rule.key}:{group}")
    for group, state in states.items():
        if group not in breaching:
            if state.status == AlertStatus.FIRING:
                notices.append(_event(rule, group, AlertEventKind.RESOLVED, state.value, now,
                                      measured.get(group)))  # fmt: skip
                outcome.resolved.append(f"{rule.key}:{group}")
            state.delete()
    outcome.notifications += _notify(rule, notices, now)


def _breaches(rule: AlertRule, measurement: Measurement) -> bool:
    if rule.min_count and (measurement.volume or 0) < rule.min_count:
        return False
    return Comparison(rule.comparison).holds(measurement.value, rule.threshold)


def _hold(rule: AlertRule, state: AlertState | None, group: str, measurement: Measurement,
          now: datetime) -> AlertEvent | None:  # fmt: skip
    """The condition holds for `group`: pending, firing, or a reminder due."""
    if state is None:
        state = AlertState.objects.create(rule=rule, group=group, status=AlertStatus.PENDING,
                                          value=measurement.value, since=now,
                                          detail=measurement.detail)  # fmt: skip
        if rule.for_duration:
            pending = _event(rule, group, AlertEventKind.PENDING, measurement.value, now,
                             measurement)  # fmt: skip
            pending.save()
    state.value, state.detail = measurement.value, measurement.detail
    event = None
    if state.status == AlertStatus.PENDING and now - state.since >= rule.for_duration:
        state.status, state.firing_since = AlertStatus.FIRING, now
        event = _event(rule, group, AlertEventKind.FIRING, measurement.value, now, measurement)
    elif state.status == AlertStatus.FIRING and (
        state.last_notified_at is None or now - state.last_notified_at >= rule.repeat_interval
    ):
        event = _event(rule, group, AlertEventKind.REPEAT, measurement.value, now, measurement)
    state.save()
    return event


def _event(rule: AlertRule, group: str, kind: str, value: Decimal | None, now: datetime,
           measurement: Measurement | None) -> AlertEvent:  # fmt: skip
    signal = get_signal(rule.signal)
    return AlertEvent(rule=rule, group=group, kind=kind, value=value, created_at=now,
                      link=signal.link(group) if signal else "",
                      message=_message(rule, group, kind, measurement, value))  # fmt: skip


def _message(rule: AlertRule, group: str, kind: str, measurement: Measurement | None,
             value: Decimal | None = None) -> str:  # fmt: skip
    signal = get_signal(rule.signal)
    unit = signal.unit if signal else ""
    where = f" ({group})" if group else ""
    shown = measurement.value if measurement is not None else value
    detail = f"; {measurement.detail}" if measurement is not None and measurement.detail else ""
    if kind == AlertEventKind.RESOLVED:
        return f"Resolved: {rule.name}{where}, last at {shown} {unit}".rstrip() + "."
    condition = (
        f"{Comparison(rule.comparison).label} {format(rule.threshold.normalize(), 'f')} {unit}"
    )
    return (f"{rule.name}{where}: {shown} {unit} is {condition.strip()}{detail}"
            .replace("  ", " "))  # fmt: skip


def _notify(rule: AlertRule, events: list[AlertEvent], now: datetime) -> int:
    """Store the transitions; one notification per rule for those nobody silenced."""
    if not events:
        return 0
    silences = list(Silence.objects.filter(Q(rule=rule) | Q(rule__isnull=True), ends_at__gt=now))
    told = []
    for event in events:
        event.silenced_by = next((s for s in silences if s.group in ("", event.group)), None)
        event.notified = event.silenced_by is None and event.kind != AlertEventKind.PENDING
        event.save()
        if event.notified:
            told.append(event)
    if not told:
        return 0
    firing = [e.group for e in told if e.kind != AlertEventKind.RESOLVED]
    AlertState.objects.filter(rule=rule, group__in=firing).update(last_notified_at=now)
    states = {s.group: s for s in AlertState.objects.filter(rule=rule)}
    send_notice(Notice.of(rule, told, states))
    return 1


def _sample(now: datetime) -> None:
    """Keep the sampled signals' values (the operations page's charts), 48 hours."""
    rows = []
    for signal in signals():
        if signal.sampled:
            try:
                measured = signal.measure(timedelta(hours=1), now)
            except Exception:
                logger.exception("signal %s could not be sampled", signal.name)
                continue
            rows += [MonitorSample(signal=signal.name, group=group, value=m.value, at=now)
                     for group, m in measured.items()]  # fmt: skip
    MonitorSample.objects.bulk_create(rows)
    MonitorSample.objects.filter(at__lt=now - SAMPLES_KEPT).delete()


def last_evaluation() -> datetime | None:
    return MonitorRun.objects.filter(pk=1).values_list("last_finished_at", flat=True).first()


def evaluations_stalled(now: datetime | None = None) -> bool:
    """Whether beat has stopped evaluating (none for 5 minutes, once there was one)."""
    last = last_evaluation()
    return last is not None and (now or clock.now()) - last > timedelta(minutes=5)
