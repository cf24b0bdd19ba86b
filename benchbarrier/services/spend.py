"""The spend ledger every paid outside call writes to (email, AI, SMS) and the monthly
budgets that warn and refuse. What a call costs is `benchbarrier.services.prices`."""

from __future__ import annotations

import json
import logging
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Sum

from benchbarrier import clock
from benchbarrier.bulk_sql import insert_rows
from benchbarrier.models import (
    Budget,
    BudgetMode,
    MonthlySpend,
    Notification,
    NotificationLevel,
    SpendEntry,
)

logger = logging.getLogger(__name__)


def record_spend(
    *,
    service: str,
    operation: str,
    cost: Decimal | None,
    quantity: int = 1,
    model: str = "",
    reference: str = "",
    currency: str = "USD",
    details: dict[str, Any] | None = None,
    budgets: list[Budget] | None = None,
) -> SpendEntry:
    """Write one ledger entry. A None cost means the price is unknown: it is recorded as
    such and logged as a warning, never counted as free. `budgets`: what `check_budget`
    returned just before the call, to judge the warnings by without reading them again."""
    if cost is None:
        logger.warning(
            "no price for %s %s %s: cost recorded as unknown", service, operation, model
        )
    entry = SpendEntry.objects.create(
        service=service,
        operation=operation,
        model=model,
        quantity=quantity,
        cost=cost,
        currency=currency,
        reference=reference,
        details=details or {},
    )
    if cost:
        _add_to_month(service, cost)
        watch_spend(service, budgets=budgets, added=cost)
    return entry


def month_spend(service: str | None = None, *, now: datetime | None = None) -> Decimal:
    """Known spend this calendar month (UTC), for one service or all."""
    return spent_of(service, month_totals(now))


def spent_of(service: str | None, totals: dict[str, Decimal]) -> Decimal:
    """A service's spend in `month_totals`, or all of it for the total ("" or None)."""
    return totals.get(service, Decimal(0)) if service else sum(totals.values(), Decimal(0))


def month_totals(now: datetime | None = None) -> dict[str, Decimal]:
    """This month's known spend per service: one small query."""
    month = month_start(now or clock.now()).date()
    return dict(MonthlySpend.objects.filter(month=month).values_list("service", "total"))


def _budgets_with_spend(service: str, now: datetime) -> list[Budget]:
    """The service's budget and the total one, each with `spent` this month: one query
    over a handful of rows, written out because the ORM's version of it costs more to
    build than to run, and this runs on every AI call."""
    budgets, totals = Budget._meta.db_table, MonthlySpend._meta.db_table
    month = month_start(now).date()
    found = list(
        Budget.objects.raw(
            f"SELECT b.*, CASE WHEN b.service = '' "  # noqa: S608 (table names from code)
            f"THEN (SELECT SUM(m.total) FROM {totals} m WHERE m.month = %s) "
            f"ELSE (SELECT m.total FROM {totals} m WHERE m.month = %s "
            f"AND m.service = b.service) END AS spent "
            f"FROM {budgets} b WHERE b.service IN (%s, '')",
            [month, month, service],
        )
    )
    for budget in found:
        budget.spent = Decimal(str(budget.spent or 0))
    return found


def _add_to_month(service: str, amount: Decimal) -> None:
    """Add to this month's running total (one UPDATE; the month's first entry inserts)."""
    month = month_start(clock.now()).date()
    if MonthlySpend.objects.filter(service=service, month=month).update(total=F("total") + amount):
        return
    try:
        with transaction.atomic():
            MonthlySpend.objects.create(service=service, month=month, total=amount)
    except IntegrityError:  # another writer inserted it first
        MonthlySpend.objects.filter(service=service, month=month).update(total=F("total") + amount)


def record_spends(
    *,
    service: str,
    operation: str,
    cost: Decimal | None,
    entries: list[tuple[str, dict[str, Any]]],
) -> int:
    """Many entries of one price at once (one INSERT): (reference, details) each.
    Returns how many. Runs inside the caller's transaction."""
    if cost is None and entries:
        logger.warning("no price for %s %s: cost recorded as unknown", service, operation)
    if not entries:
        return 0
    if cost:
        _add_to_month(service, cost * len(entries))
        transaction.on_commit(lambda: watch_spend(service))
    now = clock.now()
    insert_rows(
        SpendEntry._meta.db_table,
        [("service", "text"), ("operation", "text"), ("model", "text"), ("quantity", "int"),
         ("cost", "numeric"), ("currency", "text"), ("reference", "text"),
         ("details", "jsonb"), ("created_at", "timestamptz")],
        [(service, operation, "", 1, cost, "USD", reference[:100], json.dumps(details), now)
         for reference, details in entries],
    )  # fmt: skip
    return len(entries)


# --- budgets ----------------------------------------------------------------------------


class BudgetExceeded(Exception):
    """A hard-stop budget is spent for this month (API: 402)."""

    def __init__(self, budget: Budget, spent: Decimal, resets_on: date) -> None:
        self.budget, self.spent, self.resets_on = budget, spent, resets_on
        super().__init__(
            f"The monthly {budget.label} budget of {budget.monthly_limit} {budget.currency} "
            f"is spent ({spent.quantize(Decimal('0.01'))} so far); new calls are refused "
            f"until it resets on {resets_on.isoformat()}. Raise the budget in the admin "
            "(Platform > Budgets) or set it to warn only."
        )


def month_start(now: datetime) -> datetime:
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def next_month(now: datetime) -> date:
    first = month_start(now)
    return (first + timedelta(days=32)).replace(day=1).date()


def check_budget(service: str) -> list[Budget]:
    """Raise BudgetExceeded if the service's or the total hard-stop budget is spent;
    returns both budgets with their `spent` so far."""
    budgets = budgets_for(service)
    refuse_if_spent(budgets)
    return budgets


def budgets_for(service: str) -> list[Budget]:
    """The service's budget and the total one, each with `spent` this month."""
    return _budgets_with_spend(service, clock.now())


def refuse_if_spent(budgets: list[Budget]) -> None:
    """Raise BudgetExceeded if one of these hard-stop budgets (as `check_budget` gave
    them, `spent` kept up to date by a caller spending several times) is spent."""
    for budget in budgets:
        if budget.mode == BudgetMode.HARD_STOP and budget.spent >= budget.monthly_limit:
            raise BudgetExceeded(budget, budget.spent, next_month(clock.now()))


def watch_spend(
    service: str, *, budgets: list[Budget] | None = None, added: Decimal = Decimal(0)
) -> None:
    """After spending: notify once per month when a budget passes its warning share or
    its limit (the admin's record; alert rules tell people). `budgets` read before the
    spend of `added` saves reading them again (a concurrent spender's share shows up in
    its own check)."""
    now = clock.now()
    month = now.strftime("%Y-%m")
    if budgets is None:
        budgets, added = _budgets_with_spend(service, now), Decimal(0)
    for budget in budgets:
        spent = budget.spent + added
        share = spent / budget.monthly_limit * 100 if budget.monthly_limit else Decimal(100)
        details = {"budget": budget.label, "spent": str(spent), "limit": str(budget.monthly_limit)}
        of = f"{spent:.2f} of {budget.monthly_limit} {budget.currency}"
        if share >= 100:
            refused = " (new calls are refused)" if budget.mode == BudgetMode.HARD_STOP else ""
            notify(
                key=f"budget:{budget.label}:100:{month}",
                kind="budget.exceeded",
                level=NotificationLevel.CRITICAL,
                message=f"The {budget.label} budget for {month} is spent: {of}{refused}.",
                details=details,
            )
        elif share >= budget.warn_at_percent:
            notify(
                key=f"budget:{budget.label}:{budget.warn_at_percent}:{month}",
                kind="budget.warning",
                level=NotificationLevel.WARNING,
                message=f"The {budget.label} budget for {month} is {share:.0f}% spent: {of}.",
                details=details,
            )


def spike_ratios(now: datetime) -> dict[str, tuple[Decimal, Decimal, Decimal]]:
    """{service: (today's spend / the trailing 7-day daily average, today, average)} for
    the services with spend before today (the alert rule "spend spike" watches them)."""
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    known = SpendEntry.objects.filter(cost__isnull=False, created_at__lt=now)
    per_service = lambda rows: dict(  # noqa: E731
        rows.values("service").annotate(s=Sum("cost")).values_list("service", "s")
    )
    week = per_service(known.filter(created_at__gte=today - timedelta(days=7),
                                    created_at__lt=today))  # fmt: skip
    spent = per_service(known.filter(created_at__gte=today))
    found = {}
    for service, total in week.items():
        average = (total or Decimal(0)) / 7
        if average > 0:
            today_spend = spent.get(service) or Decimal(0)
            found[service] = (today_spend / average, today_spend, average)
    return found


def notify(*, key: str, kind: str, level: str, message: str, details: dict[str, Any]) -> bool:
    """Raise a notification once per key; returns whether it is new."""
    try:
        with transaction.atomic():
            Notification.objects.create(
                key=key, kind=kind, level=level, message=message, details=details
            )
    except IntegrityError:
        return False
    logger.warning("%s", message)
    return True
