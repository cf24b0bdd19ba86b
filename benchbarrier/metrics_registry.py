"""The registry of business metrics (revenue, orders, email_open_rate...): each with its
name, a one-line formula in words, its unit, the dimensions it can be split by, and how
it is computed for a period; and of the dimensions beyond time (channel, campaign,
customer_segment...), each a named set of scopes. analytics fills both with what its
events answer; other apps add theirs (marketing: customer_segment). The kernel names none.

A scope narrows the events a metric reads (a Django Q over them: these customers, these
sessions); a metric computed in a scope is its value for that part of the shop."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

Value = Decimal | int | None
Scope = Any  # a Django Q over the events, or None for all of them


@dataclass(frozen=True)
class Period:
    start: datetime  # included
    end: datetime  # excluded

    @property
    def previous(self) -> Period:
        return Period(self.start - (self.end - self.start), self.start)


@dataclass(frozen=True)
class Metric:
    name: str
    formula: str  # in words, for people (the README and /api/analytics/metrics)
    unit: str  # "currency", "count", "ratio"
    compute: Callable[[Period, Scope], Value]
    # Beyond the time dimensions (date, week, month), which every metric has.
    dimensions: tuple[str, ...] = field(default=())
    # Dimensions the metric splits by itself (an order's items by product category),
    # rather than through the dimension's scopes: {dimension: (period, scope) -> values}.
    splitters: dict[str, Callable[[Period, Scope], dict[str, Value]]] = field(default_factory=dict)
    # The metric for several periods at once (a report's periods), when it has a faster
    # way than one at a time.
    compute_many: Callable[[list[Period], Scope], list[Value]] | None = None

    def value(self, period: Period, scope: Scope = None) -> Value:
        return self.compute(period, scope)

    def values(self, periods: list[Period], scope: Scope = None) -> list[Value]:
        if self.compute_many is not None:
            return self.compute_many(periods, scope)
        return [self.compute(period, scope) for period in periods]

    def split(self, dimension: str, period: Period, scope: Scope = None) -> dict[str, Value]:
        """The metric for each value of `dimension` (one the metric lists)."""
        if dimension in self.splitters:
            return self.splitters[dimension](period, scope)
        found = get_dimension(dimension)
        if found is None:
            return {}
        return {
            value: self.compute(period, part if scope is None else scope & part)
            for value, part in found.scopes(period).items()
        }


@dataclass(frozen=True)
class Dimension:
    name: str
    description: str  # what a value is, for people
    # Its values in a period, each with the scope of the events that belong to it.
    scopes: Callable[[Period], dict[str, Scope]]


_dimensions: dict[str, Dimension] = {}


def register_dimension(dimension: Dimension) -> Dimension:
    _dimensions[dimension.name] = dimension
    return dimension


def get_dimension(name: str) -> Dimension | None:
    return _dimensions.get(name)


_metrics: dict[str, Metric] = {}


def register_metric(metric: Metric) -> Metric:
    if metric.name in _metrics and _metrics[metric.name] is not metric:
        raise ValueError(f'metric "{metric.name}" is registered already')
    _metrics[metric.name] = metric
    return metric


def get_metric(name: str) -> Metric | None:
    return _metrics.get(name)


def all_metrics() -> list[Metric]:
    return list(_metrics.values())
