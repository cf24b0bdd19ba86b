"""Rollups the order and customer metrics read instead of the raw events: orders per hour
(UTC) per customer and currency, and in total; each customer's first order (per
currency) and sign-up; each subscription's latest start and cancellation.

They are written in the transaction that stores the events (`analytics.services`), from
the events newly stored only, so they are exact at every moment and a repeated event
(the same messageId) changes nothing. `rebuild` makes them again from the events (the
`analytics_rollups` command; after events were written some other way).

Metrics use them for periods on whole hours, for the whole shop or a part of it chosen by
customer (a segment); other parts (a channel, a campaign, a product category) read the
events. Amounts are kept in their own currency and converted when read, so a change of
CURRENCY_RATES needs no rebuild. A subscription is counted by its latest start and the
cancellation after it (a subscription started again after a cancellation counts from
the new start).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, Count, Max, Q, QuerySet, Sum, When

from analytics.currency import CENT, amount, currency_of, rates
from analytics.models import Buyer, Event, OrderHour, OrderTotal, Signup, Subscription
from benchbarrier.bulk_sql import insert_rows
from benchbarrier.metrics_registry import Period, Scope, Value

NAMES = ("order.completed", "user.created", "subscription.started", "subscription.cancelled")
Money = dict[str, tuple[int, int, Decimal]]  # currency -> (orders, bad totals, amount)
ANY = "*"  # a buyer's first order in whatever currency
# An ingested batch (1,000 events at most) upserts as plain VALUES, a fixed number of
# statements whatever its size; only a rebuild's larger chunks go through COPY.
STAGE_ABOVE = 5_000


# --- Kept up to date ------------------------------------------------------------------


def apply(events: Iterable[Any]) -> None:
    """Add newly stored events (BusEvents or Events) to the rollups."""
    found: dict[str, list[Any]] = defaultdict(list)
    for event in events:
        if event.event_name in NAMES:
            found[event.event_name].append(event)
    if found["order.completed"]:
        _orders(found["order.completed"])
    signups = [((e.user_id,), e.timestamp) for e in found["user.created"] if e.user_id]
    if signups:
        _firsts("analytics_signups", "signed_up_at", ("user_id",), signups)
    started, cancelled = found["subscription.started"], found["subscription.cancelled"]
    if started or cancelled:
        _subscriptions(sorted(started + cancelled, key=lambda e: (e.timestamp, e.id or 0)))


def _hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _orders(events: list[Any]) -> None:
    hours: dict[tuple, list] = defaultdict(lambda: [0, 0, Decimal(0)])
    totals: dict[tuple, list] = defaultdict(lambda: [0, 0, Decimal(0)])
    firsts: list[tuple[tuple, datetime]] = []
    for event in events:
        total = amount(event.properties.get("total"))
        currency = currency_of(event.properties)
        hour = _hour(event.timestamp)
        for row in (hours[(hour, event.user_id or "", currency)],
                    totals[(hour, currency, bool(event.user_id))]):  # fmt: skip
            row[0] += 1
            row[1] += total is None
            row[2] += total or 0
        if event.user_id and total is not None:
            firsts.append(((event.user_id, currency), event.timestamp))
            firsts.append(((event.user_id, ANY), event.timestamp))
    counts = ("orders", "bad_totals", "amount")
    _add("analytics_order_hours", ("hour", "user_id", "currency"), hours, counts)
    _add("analytics_order_totals", ("hour", "currency", "with_user"), totals, counts)
    _firsts("analytics_buyers", "first_order_at", ("user_id", "currency"), firsts)


TYPES = {"hour": "timestamptz", "user_id": "text", "currency": "text", "with_user": "boolean",
         "orders": "integer", "bad_totals": "integer", "amount": "numeric",
         "signed_up_at": "timestamptz", "first_order_at": "timestamptz"}  # fmt: skip


def _add(table: str, keys: tuple[str, ...], rows: dict[tuple, list], counts: tuple[str, ...]
         ) -> None:  # fmt: skip
    """Upsert `rows` ({key: counts}), adding the counts to those already there."""
    sums = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in counts)
    insert_rows(
        table, [(name, TYPES[name]) for name in (*keys, *counts)],
        [(*key, *values) for key, values in rows.items()],
        on_conflict=f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {sums}",
        order_by=", ".join(keys), staged=len(rows) > STAGE_ABOVE,
    )  # fmt: skip


def _firsts(table: str, column: str, keys: tuple[str, ...],
            found: list[tuple[tuple, datetime]]) -> None:  # fmt: skip
    """Upsert the earliest moment per key."""
    earliest: dict[tuple, datetime] = {}
    for key, moment in found:
        if key not in earliest or moment < earliest[key]:
            earliest[key] = moment
    least = "LEAST" if connection.vendor == "postgresql" else "MIN"
    insert_rows(
        table, [(name, TYPES[name]) for name in (*keys, column)],
        [(*key, moment) for key, moment in earliest.items()],
        on_conflict=f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET "
                    f"{column} = {least}({table}.{column}, excluded.{column})",
        order_by=", ".join(keys), staged=len(earliest) > STAGE_ABOVE,
    )  # fmt: skip


def _subscriptions(events: list[Any]) -> None:
    """Each subscription's latest start and a cancellation after it, in event order."""
    for event in events:
        key = str(event.properties.get("subscriptionId"))
        if event.event_name == "subscription.started":
            total = amount(event.properties.get("amount"))
            months = 12 if event.properties.get("interval") == "year" else 1
            values = {"user_id": event.user_id or "", "amount": total, "months": months,
                      "currency": currency_of(event.properties), "started_at": event.timestamp,
                      "cancelled_at": None}  # fmt: skip
            found = Subscription.objects.filter(subscription_id=key).first()
            if found is None or found.started_at is None or found.started_at <= event.timestamp:
                Subscription.objects.update_or_create(subscription_id=key, defaults=values)
        else:
            found = Subscription.objects.filter(subscription_id=key).first()
            if found is None:
                Subscription.objects.create(subscription_id=key, currency="",
                                            cancelled_at=event.timestamp)  # fmt: skip
            elif found.started_at is None or found.started_at <= event.timestamp:
                found.cancelled_at = event.timestamp
                found.save(update_fields=["cancelled_at"])


def rebuild(period: Period | None = None, *, chunk: int = 20_000, progress: Any = None) -> int:
    """Make the rollups again from the events (of `period` only: its hours' order rows
    are replaced, and its events applied again to the firsts and subscriptions, which
    keep the earliest and the latest whatever the order); returns the events read."""
    done = 0
    with transaction.atomic():
        rows = Event.objects.filter(event_name__in=NAMES).order_by("timestamp", "id")
        if period is None:
            for model in (OrderHour, OrderTotal, Buyer, Signup, Subscription):
                model.objects.all().delete()
        else:
            for model in (OrderHour, OrderTotal):
                model.objects.filter(hour__gte=_hour(period.start), hour__lt=period.end).delete()
            rows = rows.filter(timestamp__gte=_hour(period.start), timestamp__lt=period.end)
        batch: list[Event] = []
        for event in rows.only("id", "event_name", "user_id", "timestamp", "properties"
                               ).iterator(chunk_size=chunk):  # fmt: skip
            batch.append(event)
            if len(batch) == chunk:
                apply(batch)
                done += len(batch)
                batch = []
                if progress:
                    progress(done)
        apply(batch)
        done += len(batch)
    if connection.vendor == "postgresql":  # the planner's figures for tables just refilled
        with connection.cursor() as cursor:
            for model in (OrderHour, OrderTotal, Buyer, Signup, Subscription):
                cursor.execute(f"ANALYZE {model._meta.db_table}")
    return done


def rebuild_if_missing() -> int:
    """`rebuild` when there are such events and no rollup at all (after an upgrade)."""
    empty = not any(m.objects.exists() for m in (OrderTotal, Signup, Subscription))
    if empty and Event.objects.filter(event_name__in=NAMES).exists():
        return rebuild()
    return 0


# --- Read -----------------------------------------------------------------------------


def usable(period: Period | None, scope: Scope, before: datetime | None = None) -> bool:
    """Whether the rollups answer: on, a period on whole hours, a scope by customer."""
    if not settings.ANALYTICS_ROLLUPS or not _by_customer(scope):
        return False
    moments = [before] if period is None else [period.start, period.end]
    return all(m is not None and m.minute == m.second == m.microsecond == 0 for m in moments)


def _by_customer(scope: Scope) -> bool:
    if scope is None:
        return True
    if not isinstance(scope, Q):
        return False
    return all(_by_customer(child) if isinstance(child, Q) else child[0].startswith("user_id")
               for child in scope.children)  # fmt: skip


def money(period: Period | None, scope: Scope, *, before: datetime | None = None,
          with_user: bool = False) -> Money:  # fmt: skip
    """Orders, bad totals and amount by currency in `period` (or before `before`)."""
    if scope is None:
        rows: QuerySet[Any] = OrderTotal.objects.all()
        if with_user:
            rows = rows.filter(with_user=True)
    else:
        rows = OrderHour.objects.filter(scope)
        if with_user:
            rows = rows.exclude(user_id="")
    rows = _within(rows, "hour", period, before)
    found = rows.values("currency").annotate(o=Sum("orders"), b=Sum("bad_totals"),
                                             a=Sum("amount"))  # fmt: skip
    return {r["currency"]: (r["o"] or 0, r["b"] or 0, r["a"] or Decimal(0)) for r in found}


def _within(rows: QuerySet[Any], column: str, period: Period | None, before: Any) -> QuerySet:
    if period is not None:
        return rows.filter(**{f"{column}__gte": period.start, f"{column}__lt": period.end})
    return rows.filter(**{f"{column}__lt": before})


def converted(found: Money) -> tuple[Decimal, int]:
    """(amount in the reporting currency, orders it counts)."""
    table = rates()
    total, kept = Decimal(0), 0
    for currency, (orders, bad, money_) in found.items():
        if currency in table:
            total += money_ * table[currency]
            kept += orders - bad
    return total, kept


def left_out(found: Money) -> dict[str, int]:
    """Orders left out of revenue: by a total that is not a number, by a currency."""
    table = rates()
    counts: dict[str, int] = defaultdict(int)
    for currency, (orders, bad, _) in found.items():
        if bad:
            counts["a total that is not a number"] += bad
        if currency not in table and orders - bad:
            counts[currency] += orders - bad
    return counts


def revenue(period: Period, scope: Scope) -> Decimal:
    return converted(money(period, scope))[0].quantize(CENT)


def orders(period: Period, scope: Scope) -> int:
    return sum(o for o, _, _ in money(period, scope).values())


def average_order_value(period: Period, scope: Scope) -> Value:
    total, kept = converted(money(period, scope))
    return (total / kept).quantize(CENT) if kept else None


def buyers_lost(period: Period, scope: Scope) -> tuple[int, int]:
    """(customers who ordered in the period before, those of them with none in this),
    in one pass over both periods' rows."""
    rows = OrderHour.objects.exclude(user_id="").filter(
        hour__gte=period.previous.start, hour__lt=period.end
    )
    if scope is not None:
        rows = rows.filter(scope)
    before = Case(When(hour__lt=period.start, then=1), default=0)
    now = Case(When(hour__gte=period.start, then=1), default=0)
    users = rows.values("user_id").annotate(was=Max(before), is_=Max(now)).filter(was=1)
    with transaction.atomic():
        if connection.vendor == "postgresql":  # a month's buyers, grouped in memory
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL work_mem = '32MB'")
        found = users.aggregate(buyers=Count("user_id"), lost=Count("user_id", filter=Q(is_=0)))
    return found["buyers"], found["lost"]


def ltv(period: Period, scope: Scope) -> Value:
    found = money(None, scope, before=period.end, with_user=True)
    total, _ = converted(found)
    rated = list(rates())
    buyers = Buyer.objects.filter(first_order_at__lt=period.end)
    if scope is not None:
        buyers = buyers.filter(scope)
    if set(found) <= set(rated):  # every currency counts: one row per buyer to count
        customers = buyers.filter(currency=ANY).count()
    else:
        customers = buyers.filter(currency__in=rated).values("user_id").distinct().count()
    return (total / customers).quantize(CENT) if customers else None


def usable_for(periods: list[Period], scope: Scope) -> bool:
    return all(usable(period, scope) for period in periods)


def customer_counts(periods: list[Period], scope: Scope) -> list[Value]:
    """customer_count at the end of each period, in one pass."""
    found = Signup.objects.filter(scope) if scope is not None else Signup.objects.all()
    counts = found.aggregate(**{f"p{i}": Count("pk", filter=Q(signed_up_at__lt=p.end))
                                for i, p in enumerate(periods)})  # fmt: skip
    return [counts[f"p{i}"] for i in range(len(periods))]


def mrrs(periods: list[Period], scope: Scope) -> list[Value]:
    """mrr at the end of each period, in one pass."""
    table = rates()
    rows = Subscription.objects.filter(amount__isnull=False, currency__in=list(table))
    if scope is not None:
        rows = rows.filter(scope)
    sums = rows.values("currency", "months").annotate(**{
        f"p{i}": Sum("amount", filter=Q(started_at__lt=p.end) & (
            Q(cancelled_at__isnull=True) | Q(cancelled_at__gte=p.end)))
        for i, p in enumerate(periods)})  # fmt: skip
    totals = [Decimal(0)] * len(periods)
    for row in sums:
        for i in range(len(periods)):
            totals[i] += _decimal(row[f"p{i}"]) / row["months"] * table[row["currency"]]
    return [total.quantize(CENT) for total in totals]


def ltvs(periods: list[Period], scope: Scope) -> list[Value]:
    """ltv at the end of each period: revenue and buyers before each end, in two passes."""
    if scope is None:
        orders_ = OrderTotal.objects.filter(with_user=True)
    else:
        orders_ = OrderHour.objects.filter(scope).exclude(user_id="")
    before_each = {f"p{i}": Sum("amount", filter=Q(hour__lt=p.end))
                   for i, p in enumerate(periods)}  # fmt: skip
    sums = list(orders_.values("currency").annotate(**before_each))
    table = rates()
    currencies = {row["currency"] for row in sums}
    buyers = Buyer.objects.filter(scope) if scope is not None else Buyer.objects.all()
    if currencies <= set(table):
        counts = buyers.filter(currency=ANY).aggregate(**{
            f"p{i}": Count("pk", filter=Q(first_order_at__lt=p.end))
            for i, p in enumerate(periods)})  # fmt: skip
    else:
        counts = buyers.filter(currency__in=list(table)).aggregate(**{
            f"p{i}": Count("user_id", distinct=True, filter=Q(first_order_at__lt=p.end))
            for i, p in enumerate(periods)})  # fmt: skip
    found: list[Value] = []
    for i in range(len(periods)):
        total = sum((_decimal(row[f"p{i}"]) * table[row["currency"]] for row in sums
                     if row["currency"] in table), Decimal(0))  # fmt: skip
        customers = counts[f"p{i}"]
        found.append((total / customers).quantize(CENT) if customers else None)
    return found


def _decimal(value: Any) -> Decimal:
    """A sum as a Decimal (SQLite answers a filtered sum as a float)."""
    return value if isinstance(value, Decimal) else Decimal(str(value or 0))


def customer_count(period: Period, scope: Scope) -> int:
    found = Signup.objects.filter(signed_up_at__lt=period.end)
    return (found.filter(scope) if scope is not None else found).count()


def mrr(period: Period, scope: Scope) -> Decimal:
    table = rates()
    active = Subscription.objects.filter(started_at__lt=period.end, amount__isnull=False).filter(
        Q(cancelled_at__isnull=True) | Q(cancelled_at__gte=period.end)
    )
    if scope is not None:
        active = active.filter(scope)
    total = Decimal(0)
    for row in active.values("currency", "months").annotate(a=Sum("amount")):
        if row["currency"] in table:
            total += row["a"] / row["months"] * table[row["currency"]]
    return total.quantize(CENT)
