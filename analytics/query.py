"""Metrics by dimensions over a period, as rows (`/api/analytics/query`): each bucket of a time
dimension computed on its own, every problem named by its parameter."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils import timezone

from analytics import rollups
from analytics.metrics import order_amounts
from benchbarrier import clock
from benchbarrier.metrics_registry import (
    Metric,
    Period,
    Scope,
    Value,
    all_metrics,
    get_dimension,
    get_metric,
)

TIME_DIMENSIONS = ("date", "week", "month")
OTHER_DIMENSIONS = ("product_category", "channel", "campaign", "customer_segment")
NAMED_PERIODS = ("today", "yesterday", "last_7_days", "last_30_days", "last_90_days",
                 "this_month", "last_month", "this_year")  # fmt: skip
MONEY = {"revenue", "average_order_value", "ltv"}


class QueryError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


@dataclass
class Answer:
    period: Period
    dimensions: list[str]
    metrics: list[str]
    rows: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def parse_period(name: str | None, start: str | None, end: str | None) -> Period:
    """A named period (in the site's time zone), or `start`..`end` (dates, both included)."""
    if start or end:
        try:
            first, last = date.fromisoformat(start or ""), date.fromisoformat(end or "")
        except ValueError:
            where = "start" if not _is_date(start) else "end"
            raise QueryError(where, "a date like 2026-11-01 (give both start and end)") from None
        if last < first:
            raise QueryError("end", "on or after start")
        return Period(_midnight(first), _midnight(last + timedelta(days=1)))
    today = timezone.localdate(clock.now())
    name = name or "last_30_days"
    spans = {
        "today": (today, today),
        "yesterday": (today - timedelta(days=1), today - timedelta(days=1)),
        "last_7_days": (today - timedelta(days=6), today),
        "last_30_days": (today - timedelta(days=29), today),
        "last_90_days": (today - timedelta(days=89), today),
        "this_month": (today.replace(day=1), today),
        "last_month": ((today.replace(day=1) - timedelta(days=1)).replace(day=1),
                       today.replace(day=1) - timedelta(days=1)),
        "this_year": (today.replace(month=1, day=1), today),
    }  # fmt: skip
    if name not in spans:
        raise QueryError("period", f"one of {', '.join(NAMED_PERIODS)}, or start and end")
    first, last = spans[name]
    return Period(_midnight(first), _midnight(last + timedelta(days=1)))


def _is_date(text: str | None) -> bool:
    try:
        date.fromisoformat(text or "")
    except ValueError:
        return False
    return True


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def run(metric_names: list[str], dimensions: list[str], period: Period,
        filters: list[str] | None = None) -> Answer:  # fmt: skip
    """Rows of the metrics by at most one time dimension and one other, within `filters`
    ("dimension:value", each a part of the shop all the metrics are computed in)."""
    metrics = _metrics(metric_names)
    times = [d for d in dimensions if d in TIME_DIMENSIONS]
    others = [d for d in dimensions if d not in TIME_DIMENSIONS]
    for dimension in others:
        _check_split(metrics, dimension, "dimensions")
    if len(times) > 1:
        raise QueryError("dimensions", "one time dimension at most (date, week or month)")
    if len(others) > 1:
        raise QueryError("dimensions", "one dimension beyond time at most")
    wanted = parse_filters(filters or [], metrics)
    answer = Answer(period, dimensions, metric_names)
    for label, bucket in _buckets(period, times[0] if times else None):
        first: dict[str, Any] = {times[0]: label} if times else {}
        if not others:
            answer.rows.append(first | {m.name: plain(value_of(m, bucket, wanted))
                                        for m in metrics})  # fmt: skip
            continue
        splits = {m.name: _split(m, others[0], bucket, wanted) for m in metrics}
        for value in sorted(set().union(*splits.values())):
            answer.rows.append(first | {others[0]: value} | {
                name: plain(found.get(value)) for name, found in splits.items()})  # fmt: skip
    if MONEY & set(metric_names):
        counts = (rollups.left_out(rollups.money(period, None))
                  if rollups.usable(period, None) else order_amounts(period)[1])  # fmt: skip
        answer.warnings = _left_out(counts)
    return answer


def _metrics(names: list[str]) -> list[Metric]:
    if not names:
        raise QueryError("metrics", "one or more metrics, comma-separated")
    found = []
    for name in names:
        metric = get_metric(name)
        if metric is None:
            known = ", ".join(m.name for m in all_metrics())
            raise QueryError("metrics", f'unknown metric "{name}"; known: {known}')
        found.append(metric)
    return found


def _check_split(metrics: list[Metric], dimension: str, field: str) -> None:
    if dimension not in OTHER_DIMENSIONS or get_dimension(dimension) is None:
        known = ", ".join(TIME_DIMENSIONS + OTHER_DIMENSIONS)
        raise QueryError(field, f'unknown dimension "{dimension}"; known: {known}')
    for metric in metrics:
        if dimension not in metric.dimensions:
            raise QueryError(field, f"{metric.name} cannot be split by {dimension}")


def parse_filters(filters: list[str], metrics: list[Metric]) -> list[tuple[str, str]]:
    """[(dimension, value)] from "dimension:value" texts, each checked."""
    parsed = []
    for text in filters:
        dimension, colon, value = text.partition(":")
        if not colon or not value.strip():
            raise QueryError("filters", f'"{text}": write dimension:value, e.g. channel:email')
        _check_split(metrics, dimension.strip(), "filters")
        parsed.append((dimension.strip(), value.strip()))
    return parsed


def _scope(metric: Metric, period: Period, filters: list[tuple[str, str]]) -> Scope:
    """The filters a dimension's scopes answer, together (a value absent: nothing)."""
    scope = None
    for dimension, value in filters:
        if dimension in metric.splitters:
            continue
        part = get_dimension(dimension).scopes(period).get(value, Q(pk__in=[]))
        scope = part if scope is None else scope & part
    return scope


def values_of(metric: Metric, periods: list[Period], filters: list[tuple[str, str]]
              ) -> list[Value]:  # fmt: skip
    """The metric for each period (at once, when nothing is filtered)."""
    if not filters:
        return metric.values(periods)
    return [value_of(metric, period, filters) for period in periods]


def value_of(metric: Metric, period: Period, filters: list[tuple[str, str]]) -> Value:
    scope = _scope(metric, period, filters)
    own = [(d, v) for d, v in filters if d in metric.splitters]
    if own:  # (a product category: the metric's own split, within the other filters)
        return metric.split(own[0][0], period, scope).get(own[0][1])
    return metric.value(period, scope)


def _split(metric: Metric, dimension: str, period: Period,
           filters: list[tuple[str, str]]) -> dict[str, Value]:  # fmt: skip
    if any(d in metric.splitters for d, _ in filters):
        raise QueryError("filters", f"{metric.name}: split by product_category or filter by "
                         "it, not both with another dimension")  # fmt: skip
    return metric.split(dimension, period, _scope(metric, period, filters))


def _buckets(period: Period, dimension: str | None) -> list[tuple[str, Period]]:
    if dimension is None:
        return [("", period)]
    found = []
    day = timezone.localdate(period.start)
    last = timezone.localdate(period.end - timedelta(microseconds=1))
    while day <= last:
        if dimension == "date":
            following, label = day + timedelta(days=1), day.isoformat()
        elif dimension == "week":
            monday = day - timedelta(days=day.weekday())
            following = monday + timedelta(days=7)
            label = f"{monday.isocalendar().year}-W{monday.isocalendar().week:02d}"
        else:
            following = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
            label = day.strftime("%Y-%m")
        start = max(_midnight(day), period.start)
        found.append((label, Period(start, min(_midnight(following), period.end))))
        day = following
    return found


def plain(value: Any) -> Any:
    """A figure as JSON holds it: a Decimal as its exact text."""
    return str(value) if isinstance(value, Decimal) else value


def _left_out(counts: Counter[str]) -> list[str]:
    return [
        f"{n} order(s) with {why} left out of revenue"
        if why.startswith("a total") else
        f"{n} order(s) in {why} left out of revenue: add its rate to CURRENCY_RATES"
        for why, n in sorted(counts.items())
    ]  # fmt: skip
