"""The seed's business metrics, computed from the events for a period, and registered in
the kernel's metric registry. Definitions (the README says the same):

- revenue: the sum of `total` of `order.completed` events, in REPORTING_CURRENCY (other
  currencies converted by CURRENCY_RATES; an order in a currency without a rate is left
  out and reported, never counted at a wrong value).
- orders: how many `order.completed` events.
- average_order_value: revenue / the orders it counts.
- website_visits: GA4's sessions when GA4 is configured and pulled for each day of the
  period (`analytics.sync`); otherwise distinct sessions (`sessionId`) among the site's
  events (every event but the back office's own: email., sms., push., social., segment.,
  discount.).
- conversion_rate: sessions with an `order.completed` / sessions.
- email_open_rate, click_through_rate: of the emails sent in the period (`email.sent`),
  the share opened / clicked (so far).
- social_engagement: likes + comments + shares of the posts, as last pulled back in the
  period (`social.engagement`).
- mrr: the monthly amount of the subscriptions active at the period's end
  (`subscription.started` minus `subscription.cancelled`; a yearly one counts a twelfth).
  A shop without subscriptions has an MRR of 0.
- customer_count: customers who signed up (`user.created`) before the period's end.
- churn_rate: of the customers with an order in the previous period (as long as this
  one), the share with none in this one.
- ltv: revenue of every order before the period's end / the customers who placed them.

Each takes a scope (a part of the shop: a channel, a segment...; see
`analytics.dimensions`), and is registered in `analytics.seed_metrics`.

The order and customer metrics read the rollups (`analytics.rollups`) when they can
answer, the events otherwise; tests hold both to the same hand-worked figures.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, QuerySet, Sum

from analytics import rollups
from analytics.currency import CENT, currency_of, rates
from analytics.currency import amount as number
from analytics.models import Event, Ga4Daily
from benchbarrier.metrics_registry import Period, Scope, Value


def _events(name: str | Iterable[str], period: Period | None = None, *, before: Any = None,
            scope: Scope = None) -> QuerySet[Event]:  # fmt: skip
    names = [name] if isinstance(name, str) else list(name)
    found = Event.objects.filter(event_name__in=names)
    if scope is not None:
        found = found.filter(scope)
    if period is not None:
        found = found.filter(timestamp__gte=period.start, timestamp__lt=period.end)
    if before is not None:
        found = found.filter(timestamp__lt=before)
    return found


def order_amounts(period: Period | None = None, *, before: Any = None, scope: Scope = None
                  ) -> tuple[list[tuple[str | None, Decimal]], Counter[str]]:  # fmt: skip
    """(user id, total in the reporting currency) of each order, and how many orders
    were left out by currency (no rate) or by a total that is not a number."""
    kept: list[tuple[str | None, Decimal]] = []
    left_out: Counter[str] = Counter()
    for user_id, properties, rate in orders_in_currency(period, before=before, scope=scope):
        amount = number(properties.get("total"))
        if amount is None:
            left_out["a total that is not a number"] += 1
        elif rate is None:
            left_out[currency_of(properties)] += 1
        else:
            kept.append((user_id, amount * rate))
    return kept, left_out


OrderRow = tuple[str | None, dict[str, Any], Decimal | None]


def orders_in_currency(period: Period | None = None, *, before: Any = None,
                       scope: Scope = None) -> Iterator[OrderRow]:  # fmt: skip
    """(user id, properties, the rate to the reporting currency or None) of each order."""
    table = rates()
    rows = _events("order.completed", period, before=before, scope=scope)
    for user_id, properties in rows.values_list("user_id", "properties").iterator(2000):
        yield user_id, properties, table.get(currency_of(properties))


def revenue(period: Period, scope: Scope = None) -> Decimal:
    if rollups.usable(period, scope):
        return rollups.revenue(period, scope)
    kept = order_amounts(period, scope=scope)[0]
    return sum((amount for _, amount in kept), Decimal(0)).quantize(CENT)


def orders(period: Period, scope: Scope = None) -> int:
    if rollups.usable(period, scope):
        return rollups.orders(period, scope)
    return _events("order.completed", period, scope=scope).count()


def average_order_value(period: Period, scope: Scope = None) -> Decimal | None:
    if rollups.usable(period, scope):
        return rollups.average_order_value(period, scope)
    kept, _ = order_amounts(period, scope=scope)
    if not kept:
        return None
    return (sum((amount for _, amount in kept), Decimal(0)) / len(kept)).quantize(CENT)


# What the back office itself emits (messages, segments, discounts): not a visit.
BACK_OFFICE = ("email.", "sms.", "push.", "social.", "segment.", "discount.")


def _sessions(period: Period, scope: Scope = None) -> QuerySet[Event]:
    found = Event.objects.filter(timestamp__gte=period.start, timestamp__lt=period.end)
    if scope is not None:
        found = found.filter(scope)
    for prefix in BACK_OFFICE:
        found = found.exclude(event_name__startswith=prefix)
    return found.exclude(session_id__isnull=True).exclude(session_id="")


def website_visits(period: Period, scope: Scope = None) -> int:
    """GA4's sessions when GA4 is configured and pulled for every day of the period,
    else the sessions of the site's own events (always those for a part of the shop)."""
    if settings.GA4_PROPERTY_ID and scope is None:
        first, last = period.start.date(), (period.end - timedelta(microseconds=1)).date()
        days = Ga4Daily.objects.filter(property_id=settings.GA4_PROPERTY_ID,
                                       date__gte=first, date__lte=last)  # fmt: skip
        found = days.aggregate(days=Count("date", distinct=True), sessions=Sum("sessions"))
        if found["days"] == (last - first).days + 1:
            return found["sessions"] or 0
    return _own_visits(period, scope)


def _own_visits(period: Period, scope: Scope = None) -> int:
    return _sessions(period, scope).values("session_id").distinct().count()


def conversion_rate(period: Period, scope: Scope = None) -> Decimal | None:
    visits = _own_visits(period, scope)  # the same sessions as the orders counted
    if not visits:
        return None
    buying = _sessions(period, scope).filter(event_name="order.completed")
    return _ratio(buying.values("session_id").distinct().count(), visits)


def _ratio(part: int, whole: int) -> Decimal | None:
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001")) if whole else None


def _delivery_ids(events: QuerySet[Event]) -> set[str]:
    return {str(p.get("deliveryId")) for p in events.values_list("properties", flat=True)}


def _share_of_sent(period: Period, follow_up: str, scope: Scope) -> Decimal | None:
    sent = _delivery_ids(_events("email.sent", period, scope=scope))
    if not sent:
        return None
    return _ratio(len(sent & _delivery_ids(_events(follow_up))), len(sent))


def email_open_rate(period: Period, scope: Scope = None) -> Decimal | None:
    return _share_of_sent(period, "email.opened", scope)


def click_through_rate(period: Period, scope: Scope = None) -> Decimal | None:
    return _share_of_sent(period, "email.clicked", scope)


def social_engagement(period: Period, scope: Scope = None) -> int:
    latest: dict[Any, dict[str, Any]] = {}
    rows = _events("social.engagement", period, scope=scope).order_by("timestamp", "id")
    for properties in rows.values_list("properties", flat=True):
        latest[properties.get("postId")] = properties
    return sum(
        int(p.get(k) or 0) for p in latest.values() for k in ("likes", "comments", "shares")
    )


def mrr(period: Period, scope: Scope = None) -> Decimal:
    if rollups.usable(period, scope):
        return rollups.mrr(period, scope)
    table = rates()
    active: dict[str, Decimal] = {}
    names = ["subscription.started", "subscription.cancelled"]
    rows = _events(names, before=period.end, scope=scope).order_by("timestamp", "id")
    for name, properties in rows.values_list("event_name", "properties"):
        key = str(properties.get("subscriptionId"))
        if name == "subscription.cancelled":
            active.pop(key, None)
            continue
        amount = number(properties.get("amount"))
        currency = str(properties.get("currency") or settings.REPORTING_CURRENCY).upper()
        if amount is None or currency not in table:
            continue
        monthly = amount / 12 if properties.get("interval") == "year" else amount
        active[key] = monthly * table[currency]
    return sum(active.values(), Decimal(0)).quantize(CENT)


def customer_count(period: Period, scope: Scope = None) -> int:
    if rollups.usable(period, scope):
        return rollups.customer_count(period, scope)
    found = _events("user.created", before=period.end, scope=scope)
    return found.exclude(user_id__isnull=True).values("user_id").distinct().count()


def customer_counts(periods: list[Period], scope: Scope = None) -> list[Value]:
    if rollups.usable_for(periods, scope):
        return rollups.customer_counts(periods, scope)
    return [customer_count(period, scope) for period in periods]


def mrrs(periods: list[Period], scope: Scope = None) -> list[Value]:
    if rollups.usable_for(periods, scope):
        return rollups.mrrs(periods, scope)
    return [mrr(period, scope) for period in periods]


def ltvs(periods: list[Period], scope: Scope = None) -> list[Value]:
    if rollups.usable_for(periods, scope):
        return rollups.ltvs(periods, scope)
    return [ltv(period, scope) for period in periods]


def _buyers(period: Period, scope: Scope) -> set[str]:
    found = _events("order.completed", period, scope=scope).exclude(user_id__isnull=True)
    return set(found.values_list("user_id", flat=True))


def churn_rate(period: Period, scope: Scope = None) -> Decimal | None:
    if rollups.usable(period, scope):
        return _ratio(*reversed(rollups.buyers_lost(period, scope)))
    before = _buyers(period.previous, scope)
    return _ratio(len(before - _buyers(period, scope)), len(before))


def ltv(period: Period, scope: Scope = None) -> Decimal | None:
    if rollups.usable(period, scope):
        return rollups.ltv(period, scope)
    kept, _ = order_amounts(before=period.end, scope=scope)
    customers = {user for user, _ in kept if user}
    if not customers:
        return None
    total = sum((amount for user, amount in kept if user), Decimal(0))
    return (total / len(customers)).quantize(CENT)
