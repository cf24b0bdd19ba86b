"""Reports: the seed's `analytics_reports` (its three templates shipped as written), each
generated for its last full period (yesterday, last week, last month in its time zone)
by the `report.generate` job into a stored run: every metric with the previous period's
value and the change, broken down by the report's time dimension. Dimensions the metric
registry cannot split by yet are named in the run, never answered with a wrong number.
The run is then emailed to the recipients (`analytics.report_email`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from analytics import query, report_figures
from analytics.models import AnalyticsReport, ReportRun, ReportSchedule, ReportType
from benchbarrier import clock
from benchbarrier.metrics_registry import Period, get_metric

# The seed's reportTemplates, as written.
SEED_REPORTS: list[dict[str, Any]] = [
    {
        "name": "Daily Sales Summary",
        "type": "sales",
        "schedule": "daily",
        "metrics": ["revenue", "orders", "average_order_value", "conversion_rate"],
        "dimensions": ["date", "product_category"],
        "recipients": ["owner@benchbarrier.com"],
    },
    {
        "name": "Weekly Marketing Performance",
        "type": "engagement",
        "schedule": "weekly",
        "metrics": ["email_open_rate", "click_through_rate", "social_engagement",
                    "website_visits"],
        "dimensions": ["channel", "campaign"],
        "recipients": ["marketing@benchbarrier.com"],
    },
    {
        "name": "Monthly Business Review",
        "type": "sales",
        "schedule": "monthly",
        "metrics": ["mrr", "customer_count", "churn_rate", "ltv"],
        "dimensions": ["month", "customer_segment"],
        "recipients": ["leadership@benchbarrier.com"],
    },
]  # fmt: skip


class ReportError(ValueError):
    def __init__(self, errors: list[tuple[str, str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors))


def install_seed_reports() -> list[AnalyticsReport]:
    """The seed's three reports, made where missing (edits, such as recipients, kept)."""
    return [
        AnalyticsReport.objects.get_or_create(
            name=seed["name"],
            defaults={"report_type": seed["type"], "schedule": seed["schedule"],
                      "recipients": seed["recipients"],
                      "config": {"metrics": seed["metrics"], "dimensions": seed["dimensions"],
                                 "filters": []}},
        )[0]
        for seed in SEED_REPORTS
    ]  # fmt: skip


def report_errors(report: AnalyticsReport) -> list[tuple[str, str]]:
    errors = []
    if report.report_type not in ReportType.values:
        errors.append(("reportType", f"one of {', '.join(ReportType.values)}"))
    if report.schedule not in ReportSchedule.values:
        errors.append(("schedule", f"one of {', '.join(ReportSchedule.values)}"))
    config = report.config if isinstance(report.config, dict) else {}
    metrics = config.get("metrics")
    if not isinstance(metrics, list) or not metrics:
        errors.append(("config.metrics", "a list of metric names"))
    else:
        errors += [(f"config.metrics[{i}]", f'unknown metric "{name}"')
                   for i, name in enumerate(metrics) if get_metric(str(name)) is None]  # fmt: skip
    known = query.TIME_DIMENSIONS + query.OTHER_DIMENSIONS
    dimensions = config.get("dimensions", [])
    if not isinstance(dimensions, list):
        errors.append(("config.dimensions", "a list of dimension names"))
    else:
        errors += [(f"config.dimensions[{i}]", f"one of {', '.join(known)}")
                   for i, name in enumerate(dimensions) if name not in known]  # fmt: skip
    errors += _filter_errors(config, metrics)
    recipients = report.recipients if isinstance(report.recipients, list) else None
    if not recipients:
        errors.append(("recipients", "one or more email addresses"))
    else:
        for i, address in enumerate(recipients):
            try:
                validate_email(address)
            except (ValidationError, TypeError):
                errors.append((f"recipients[{i}]", "an email address"))
    try:
        ZoneInfo(report.timezone)
    except (KeyError, ValueError):
        errors.append(("timezone", "an IANA time zone, e.g. Europe/Berlin"))
    if not 0 <= report.send_hour <= 23:
        errors.append(("sendHour", "an hour from 0 to 23"))
    return errors


def _filter_errors(config: dict[str, Any], metrics: Any) -> list[tuple[str, str]]:
    filters = config.get("filters") or []
    if not isinstance(filters, list):
        return [("config.filters", 'a list of "dimension:value" filters')]
    known = [get_metric(str(n)) for n in metrics] if isinstance(metrics, list) else []
    if not all(known):
        return []  # the unknown metric is named already
    try:
        query.parse_filters(report_figures.report_filters(config), known)
    except query.QueryError as exc:
        return [("config.filters", str(exc))]
    return []


def save_report(report: AnalyticsReport) -> AnalyticsReport:
    """Save (every problem named); its schedule follows (analytics.apps)."""
    errors = report_errors(report)
    if errors:
        raise ReportError(errors)
    report.save()
    return report


def last_period(report: AnalyticsReport, now: datetime | None = None) -> Period:
    """The last full day, week (Monday to Sunday) or month in the report's time zone."""
    zone = ZoneInfo(report.timezone)
    today = (now or clock.now()).astimezone(zone).date()
    if report.schedule == ReportSchedule.DAILY:
        first, following = today - timedelta(days=1), today
    elif report.schedule == ReportSchedule.WEEKLY:
        following = today - timedelta(days=today.weekday())
        first = following - timedelta(days=7)
    else:
        following = today.replace(day=1)
        first = (following - timedelta(days=1)).replace(day=1)
    midnight = lambda day: datetime.combine(day, datetime.min.time(), tzinfo=zone)  # noqa: E731
    return Period(midnight(first), midnight(following))


def current_period(report: AnalyticsReport, now: datetime | None = None) -> Period:
    """The day, week or month under way in the report's time zone, so far (previews)."""
    moment = (now or clock.now()).astimezone(ZoneInfo(report.timezone))
    today = moment.date()
    first = {ReportSchedule.DAILY: today,
             ReportSchedule.WEEKLY: today - timedelta(days=today.weekday())
             }.get(report.schedule, today.replace(day=1))  # fmt: skip
    return Period(datetime.combine(first, datetime.min.time(), tzinfo=moment.tzinfo), moment)


def generate(report: AnalyticsReport, period: Period) -> ReportRun:
    """Compute the report for `period` and store the run (again for the same period:
    the same run, recomputed)."""
    figures = report_figures.compute(report, period)
    with transaction.atomic():
        run, _ = ReportRun.objects.update_or_create(
            report=report, period_start=period.start, period_end=period.end,
            defaults={"figures": figures, "status": "done", "error": ""},
        )  # fmt: skip
        AnalyticsReport.objects.filter(pk=report.pk).update(last_generated_at=clock.now())
    return run
