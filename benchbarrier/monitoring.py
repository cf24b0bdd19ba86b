"""The kernel's own alert signals: a spend spike per service (the seed's AI cost spike),
each monthly budget's share spent, and the age of each API key in use (the seed's monthly
key rotation)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.urls import reverse

from benchbarrier.alert_signals import Measurement, Signal, register_signal
from benchbarrier.models import APIKey, Budget
from benchbarrier.services.spend import month_totals, spent_of, spike_ratios


def _spike(window: timedelta, now: datetime) -> dict[str, Measurement]:
    return {service: Measurement(ratio.quantize(Decimal("0.01")), None,
                                 f"{today:.2f} today against {average:.2f} a day")
            for service, (ratio, today, average) in spike_ratios(now).items()}  # fmt: skip


def _budgets(window: timedelta, now: datetime) -> dict[str, Measurement]:
    totals = month_totals(now)
    found = {}
    for budget in Budget.objects.all():
        spent = spent_of(budget.service, totals)
        if budget.monthly_limit:
            share = (spent * 100 / budget.monthly_limit).quantize(Decimal("0.01"))
            detail = f"{spent:.2f} of {budget.monthly_limit} {budget.currency}"
            found[budget.label] = Measurement(share, None, detail)
    return found


def _key_ages(window: timedelta, now: datetime) -> dict[str, Measurement]:
    """Days since each key in use was made (a rotation makes a new key)."""
    live = APIKey.objects.filter(revoked=False).exclude(expiry_date__lte=now)
    return {f"{key.name} ({key.prefix})": Measurement(Decimal((now - key.created).days), None,
                                                      f"made {key.created:%Y-%m-%d}")
            for key in live.only("name", "prefix", "created")}  # fmt: skip


register_signal(Signal(
    "api_keys.age", "Days since each API key in use was made (rotate monthly).", "days",
    _key_ages, lambda group: reverse("admin:benchbarrier_apikey_changelist")
    + (f"?q={group.rsplit('(', 1)[-1].rstrip(')')}" if group else ""),
))  # fmt: skip
register_signal(Signal(
    "spend.spike", "Today's spend against the daily average of the 7 days before, per "
    "service.", "x", _spike, lambda group: reverse("admin:benchbarrier_monthlyspend_changelist"),
))  # fmt: skip
register_signal(Signal(
    "spend.budget_used", "% of each monthly budget spent.", "%", _budgets,
    lambda group: reverse("admin:benchbarrier_budget_changelist"),
))  # fmt: skip
