"""A report's figures for a period: each metric with the previous period, the same period a
year earlier (when there are events then), the last 8 comparable periods (its chart) and
whether it is outside their range; a breakdown per dimension; an AI-written summary when
a writer is installed and can write."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from analytics import comparisons, query
from analytics.models import AnalyticsReport, Event
from benchbarrier import writers
from benchbarrier.metrics_registry import Period, get_metric

SUMMARY_PROMPT = "report-summary"


def compute(report: AnalyticsReport, period: Period, *, summarise: bool = True) -> dict[str, Any]:
    config = report.config
    figures: dict[str, Any] = {"metrics": [], "breakdown": {}, "unavailable": {},
                               "anomalies": [], "warnings": []}  # fmt: skip
    past = comparisons.history(period)
    year_ago = comparisons.a_year_before(period)
    has_last_year = Event.objects.filter(
        timestamp__gte=year_ago.start, timestamp__lt=year_ago.end
    ).exists()
    metrics = [get_metric(name) for name in config["metrics"]]
    filters = query.parse_filters(report_filters(config), metrics)
    for metric in metrics:
        name = metric.name
        periods = [period, comparisons.previous(period), *past]
        if has_last_year:
            periods.append(year_ago)
        now, before, *values = query.values_of(metric, periods, filters)
        history = [(short_label(p), v) for p, v in zip(past, values, strict=False)]
        entry = {
            "name": name, "unit": metric.unit, "formula": metric.formula,
            "value": query.plain(now), "previous": query.plain(before),
            "change": change(now, before),
            "history": [{"label": text, "value": query.plain(value)} for text, value in history],
            "anomaly": comparisons.anomaly(now, [value for _, value in history]),
        }  # fmt: skip
        if has_last_year:
            then = values[-1]
            entry |= {"lastYear": query.plain(then), "lastYearChange": change(now, then)}
        figures["metrics"].append(entry)
        if entry["anomaly"]:
            figures["anomalies"].append(f"{name}: {entry['anomaly']}")
    for dimension in config.get("dimensions", []):
        able = [m.name for m in metrics
                if dimension in query.TIME_DIMENSIONS or dimension in m.dimensions]  # fmt: skip
        unable = [m.name for m in metrics if m.name not in able]
        if unable:
            figures["unavailable"][dimension] = (
                f"{', '.join(unable)} cannot be split by {dimension}; the totals above hold"
            )
        if able:
            answer = query.run(able, [dimension], period, report_filters(config))
            figures["breakdown"][dimension] = answer.rows
            figures["warnings"] = answer.warnings
    if summarise:
        figures |= summary(report, period, figures)
    return figures


def report_filters(config: dict[str, Any]) -> list[str]:
    """A report's filters as "dimension:value" (written so, or {"dimension", "value"})."""
    return [f"{f.get('dimension')}:{f.get('value')}" if isinstance(f, dict) else str(f)
            for f in config.get("filters") or []]  # fmt: skip


def summary(report: AnalyticsReport, period: Period, figures: dict[str, Any]) -> dict[str, str]:
    """{"summary": text} from the AI writer, given the figures alone; without a writer,
    or when it cannot write (not configured, over budget), {"summaryUnavailable": why}."""
    lines = [
        f"{m['name']} ({m['unit']}): {m['value']}, previous period {m['previous']}"
        + (f" ({m['change']})" if m["change"] else "")
        + (f", a year ago {m['lastYear']}" if "lastYear" in m else "")
        + (f"; unusual: {m['anomaly']}" if m["anomaly"] else "")
        for m in figures["metrics"]
    ]
    variables = {"report": report.name, "period": label(period), "figures": "\n".join(lines)}
    try:
        return {"summary": writers.write(SUMMARY_PROMPT, variables).strip()}
    except writers.WriterUnavailable as exc:
        return {"summaryUnavailable": str(exc)}


def label(period: Period) -> str:
    """ "Tue 1 Dec 2026", "23-29 Nov 2026", "November 2026", "1 Nov-15 Dec 2026"."""
    first = period.start
    last = period.end - timedelta(microseconds=1)
    if comparisons.is_calendar_month(period):
        return f"{first:%B %Y}"
    if first.date() == last.date():
        return f"{first:%a %-d %b %Y}"
    if (first.year, first.month) == (last.year, last.month):
        return f"{first:%-d}-{last:%-d %b %Y}"
    return f"{first:%-d %b}-{last:%-d %b %Y}"


def short_label(period: Period) -> str:
    """A chart's bar: "5 Dec" (a day, or the week from it), "Nov 26" (a month)."""
    if comparisons.is_calendar_month(period):
        return f"{period.start:%b %y}"
    return f"{period.start:%-d %b}"


def change(now: Any, before: Any) -> str | None:
    """The relative change (+12.5%), when it means one."""
    if now is None or before in (None, 0):
        return None
    ratio = (Decimal(now) - Decimal(before)) / Decimal(before) * 100
    return f"{ratio:+.1f}%"
