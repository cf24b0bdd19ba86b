"""The dimensions beyond time that the events answer, registered in the kernel's registry:

- channel: where a visit came from or what a message went through. A session's channel is
  the first `channel` (or else `utm_medium`) its events carry in the period, "direct"
  without one; the back office's own events belong to their channel by name (`email.*`
  to "email", `sms.*`, `push.*`, `social.*`).
- product_category: an order's items by their `category` ("(none)" without one): revenue
  is the items' price x quantity (an order without items: its total, under "(none)"),
  orders count the orders holding such an item. Split by
  the order metrics themselves (`category_splitters`).

Campaigns and customer segments are marketing's (`marketing/dimensions.py`).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Q

from analytics.currency import CENT, amount
from analytics.metrics import BACK_OFFICE, orders_in_currency
from analytics.models import Event
from benchbarrier.metrics_registry import Dimension, Period, Scope, Value, register_dimension

MESSAGE_CHANNELS = ("email", "sms", "push", "social")
NO_CATEGORY = "(none)"


def tagged_sessions(period: Period, keys: tuple[str, ...]) -> dict[str, str]:
    """{session id: the first value of the first of `keys` its site events carry}."""
    site = Event.objects.filter(timestamp__gte=period.start, timestamp__lt=period.end)
    for prefix in BACK_OFFICE:
        site = site.exclude(event_name__startswith=prefix)
    carrying = Q()
    for key in keys:
        carrying |= Q(properties__has_key=key)
    found: dict[str, str] = {}
    rows = site.filter(carrying).exclude(session_id=None).order_by("timestamp", "id")
    for session, properties in rows.values_list("session_id", "properties").iterator(2000):
        if session in found:
            continue
        value = next((str(properties[k]) for k in keys if properties.get(k)), "")
        if value:
            found[session] = value
    return found


def sessions_by_value(tagged: dict[str, str]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for session, value in tagged.items():
        grouped[value].append(session)
    return grouped


def channel_scopes(period: Period) -> dict[str, Scope]:
    tagged = tagged_sessions(period, ("channel", "utm_medium"))
    scopes: dict[str, Scope] = {
        value.lower(): Q(session_id__in=sessions)
        for value, sessions in sessions_by_value(tagged).items()
    }
    direct = Q(session_id__isnull=False) & ~Q(session_id="") & ~Q(session_id__in=list(tagged))
    for prefix in BACK_OFFICE:
        direct &= ~Q(event_name__startswith=prefix)
    scopes["direct"] = direct | scopes.get("direct", Q(pk__in=[]))
    within = Event.objects.filter(timestamp__gte=period.start, timestamp__lt=period.end)
    for channel in MESSAGE_CHANNELS:
        if within.filter(event_name__startswith=f"{channel}.").exists():
            own = Q(event_name__startswith=f"{channel}.")
            scopes[channel] = own | scopes[channel] if channel in scopes else own
    return dict(sorted(scopes.items()))


def _by_category(period: Period, scope: Scope) -> dict[str, tuple[Decimal, int]]:
    """{category: (revenue of its items, orders holding one)} in the reporting currency."""
    revenue: dict[str, Decimal] = defaultdict(Decimal)
    orders: dict[str, int] = defaultdict(int)
    for _, properties, rate in orders_in_currency(period, scope=scope):
        items = properties.get("items")
        if rate is None:
            continue
        if not isinstance(items, list) or not items:  # the whole order, uncategorised
            items = [{"price": properties.get("total"), "quantity": 1}]
        seen = set()
        for item in items:
            if not isinstance(item, dict):
                continue
            category = str(item.get("category") or NO_CATEGORY)
            price = amount(item.get("price")) or Decimal(0)
            quantity = amount(item.get("quantity") or 1) or Decimal(1)
            revenue[category] += price * quantity * rate
            seen.add(category)
        for category in seen:
            orders[category] += 1
    return {c: (revenue[c].quantize(CENT), orders[c]) for c in sorted(orders)}


def _category_revenue(period: Period, scope: Scope) -> dict[str, Value]:
    return {c: money for c, (money, _) in _by_category(period, scope).items()}


def _category_orders(period: Period, scope: Scope) -> dict[str, Value]:
    return {c: count for c, (_, count) in _by_category(period, scope).items()}


def _category_average(period: Period, scope: Scope) -> dict[str, Value]:
    return {c: (money / count).quantize(CENT) if count else None
            for c, (money, count) in _by_category(period, scope).items()}  # fmt: skip


CATEGORY_SPLITTERS: dict[str, Any] = {
    "revenue": _category_revenue,
    "orders": _category_orders,
    "average_order_value": _category_average,
}

register_dimension(Dimension(
    "channel", "where a visit came from (utm_medium) or the channel a message went through",
    channel_scopes,
))  # fmt: skip
register_dimension(Dimension(
    "product_category", "the category of an order's items (order metrics only)",
    lambda period: {},
))  # fmt: skip
