from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property
from django.utils.html import format_html

from analytics import query
from analytics.catalogue import CATALOGUE
from analytics.models import AnalyticsReport, Event, Ga4Daily, ReportRun
from benchbarrier.admin.read_only import ReadOnlyAdmin
from benchbarrier.charts import bar_chart
from benchbarrier.dashboard import Figure, Panel, list_link, panel, place

# Below this many rows (by the statistics) the exact count is cheap enough.
ESTIMATE_ABOVE = 1_000_000


class EstimatedCountPaginator(Paginator):
    """An unfiltered list of events is counted from PostgreSQL's statistics: an exact
    COUNT(*) over a hundred million rows would take longer than the page itself."""

    estimate_above = ESTIMATE_ABOVE

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if connection.vendor == "postgresql" and not queryset.query.where:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE relname = %s",
                    [queryset.model._meta.db_table],
                )
                row = cursor.fetchone()
            if row and row[0] > self.estimate_above:
                return row[0]
        return super().count


class EventNameFilter(admin.SimpleListFilter):
    """The catalogue's names: no DISTINCT over a table of millions of rows."""

    title = "event"
    parameter_name = "event"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(name, name) for name in CATALOGUE]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Event]) -> QuerySet[Event]:
        return queryset.filter(event_name=self.value()) if self.value() else queryset


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    """Events as stored: read-only (they are facts)."""

    list_display = ["timestamp", "event_name", "user_id", "session_id", "short_properties"]
    list_filter = [EventNameFilter, "timestamp"]
    search_fields = ["=user_id", "=session_id", "=message_id"]
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    list_per_page = 50
    fields = ["event_name", "user_id", "session_id", "message_id", "timestamp", "created_at",
              "pretty_properties"]  # fmt: skip
    readonly_fields = fields

    @admin.display(description="properties")
    def short_properties(self, event: Event) -> str:
        text = json.dumps(event.properties, sort_keys=True)
        return text if len(text) <= 80 else text[:77] + "..."

    @admin.display(description="properties")
    def pretty_properties(self, event: Event) -> str:
        return format_html("<pre>{}</pre>", json.dumps(event.properties, indent=2, sort_keys=True))


@admin.register(Ga4Daily)
class Ga4DailyAdmin(ReadOnlyAdmin):
    """GA4's figures as `analytics.sync` pulled them: read-only."""

    list_display = ["date", "source_medium", "campaign", "sessions", "users",
                    "engaged_sessions", "conversions", "pulled_at"]  # fmt: skip
    list_filter = ["date", "source_medium"]
    search_fields = ["source_medium", "campaign"]
    date_hierarchy = "date"


place("Analytics", Event, AnalyticsReport, ReportRun, Ga4Daily)


@panel("Sales", order=10)
def sales(request: HttpRequest) -> Panel:
    """Revenue and orders today and over 30 days: the metric registry's `revenue` and
    `orders` (the reports' figures), a bar per day."""
    month = query.parse_period("last_30_days", None, None)
    days = query.run(["revenue", "orders"], ["date"], month).rows
    today, currency = days[-1], settings.REPORTING_CURRENCY
    revenue = [Decimal(d["revenue"]) for d in days]
    link = list_link(Event, event="order.completed")
    return Panel(
        "Sales",
        figures=[
            Figure(f"revenue today ({currency})", f"{revenue[-1]:,.2f}", link),
            Figure("orders today", f"{today['orders']:,}", link),
            Figure(f"revenue, 30 days ({currency})", f"{sum(revenue):,.2f}", link),
            Figure("orders, 30 days", f"{sum(d['orders'] for d in days):,}", link),
        ],
        chart=bar_chart(
            [
                (f"{date.fromisoformat(d['date']):%a %-d %b}", money)
                for d, money in zip(days, revenue, strict=True)
            ],
            title="Revenue per day, 30 days",
        ),
        note=f"The revenue and orders metrics (in {currency}; other currencies at "
        "CURRENCY_RATES); a bar per day.",
        link=link,
    )


from analytics import report_admin  # noqa: E402, F401  (reports and their runs)
