"""Reads over events for the admin and reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import connection

from analytics.models import Event
from benchbarrier import clock

# A total the site sent as a number or a decimal string; anything else counts as 0.
_NUMERIC = r"^-?[0-9]+(\.[0-9]+)?$"


@dataclass(frozen=True)
class Day:
    day: date
    orders: int
    revenue: Decimal


def orders_by_day(days: int = 30, now: datetime | None = None) -> list[Day]:
    """`order.completed` events per UTC day for the last `days` days (today included,
    days without orders as zeros): their count and the sum of their `total`. One
    query on PostgreSQL (a total that is not a number counts as 0)."""
    now = now or clock.now()
    first = (now - timedelta(days=days - 1)).date()
    since = datetime.combine(first, datetime.min.time(), tzinfo=now.tzinfo)
    found: dict[date, tuple[int, Decimal]] = {}
    if connection.vendor == "postgresql":
        table = Event._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT (timestamp AT TIME ZONE 'UTC')::date, count(*), "  # noqa: S608 (table from code)
                "COALESCE(SUM(CASE WHEN properties->>'total' ~ %s "
                "THEN (properties->>'total')::numeric END), 0) "
                f"FROM {table} WHERE event_name = 'order.completed' AND timestamp >= %s "
                "AND timestamp <= %s GROUP BY 1",
                [_NUMERIC, since, now],
            )
            found = {day: (count, Decimal(total)) for day, count, total in cursor.fetchall()}
    else:
        rows = Event.objects.filter(
            event_name="order.completed", timestamp__gte=since, timestamp__lte=now
        ).values_list("timestamp", "properties")
        for timestamp, properties in rows:
            day = timestamp.date()
            count, total = found.get(day, (0, Decimal(0)))
            found[day] = (count + 1, total + _money(properties.get("total")))
    return [
        Day(first + timedelta(days=n), *found.get(first + timedelta(days=n), (0, Decimal(0))))
        for n in range(days)
    ]


def _money(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return Decimal(0)
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return Decimal(0)
