"""The kernel's own alert signals: a spend spike per service (the seed's AI cost spike)
and each monthly budget's share spent."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.urls import reverse

from benchbarrier.alert_signals import Measurement, Signal, register_signal
from benchbarrier.models import Budget
from benchbarrier.services.spend import month_totals, spike_ratios


def _spike(window: timedelta, now: datetime) -> dict[str, Measurement]:
    return {service: Measurement(ratio.quantize(Decimal("0.01")), None,
                                 f"{today:.2f} today against {average:.2f} a day")
            for service, (ratio, today, average) in spike_ratios(now).items()}  # fmt: skip


def _budgets(window: timedelta, now: datetime) -> dict[str, Measurement]:
    totals = month_totals(now)
    found = {}
    for budget in Budget.objects.all():
        spent = totals.get(budget.service, Decimal(0)) if budget.service else sum(
            totals.values(), Decimal(0))  # fmt: skip
        if budget.monthly_limit:
            share = (spent * 100 / budget.monthly_limit).quantize(Decimal("0.01"))
            detail = f"{spent:.2f} of {budget.monthly_limit} {budget.currency}"
            found[budget.label] = Measurement(share, None, detail)
    return found


register_signal(Signal(
    "spend.spike", "Today's spend against the daily average of the 7 days before, per "
    "service.", "x", _spike, lambda group: reverse("admin:benchbarrier_monthlyspend_changelist"),
))  # fmt: skip
register_signal(Signal(
    "spend.budget_used", "% of each monthly budget spent.", "%", _budgets,
    lambda group: reverse("admin:benchbarrier_budget_changelist"),
))  # fmt: skip
