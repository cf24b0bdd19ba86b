"""The registry of business metrics (revenue, orders, email_open_rate...): each with its
name, a one-line formula in words, its unit, the dimensions it can be split by, and how
it is computed for a period. analytics fills it with the metrics its events answer;
other apps add theirs (marketing: customer_count). The kernel names none."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

Value = Decimal | int | None


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
    compute: Callable[[Period], Value]
    # Beyond the time dimensions (date, week, month), which every metric has.
    dimensions: tuple[str, ...] = field(default=())


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
