from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html

from analytics import advanced, query
from analytics.catalogue import CATALOGUE
from analytics.models import AnalyticsReport, Event, ReportRun
from analytics.reports import report_errors, save_report
from analytics.selectors import orders_by_day
from benchbarrier import clock
from benchbarrier.charts import bar_chart
from benchbarrier.dashboard import Figure, Panel, list_link, panel, place
from benchbarrier.durations import parse_duration
from benchbarrier.services.audit import Actor
from jobs.services import enqueue

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
class EventAdmin(admin.ModelAdmin):
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

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description="properties")
    def short_properties(self, event: Event) -> str:
        text = json.dumps(event.properties, sort_keys=True)
        return text if len(text) <= 80 else text[:77] + "..."

    @admin.display(description="properties")
    def pretty_properties(self, event: Event) -> str:
        return format_html("<pre>{}</pre>", json.dumps(event.properties, indent=2, sort_keys=True))


place("Analytics", Event, AnalyticsReport)


@panel("Sales", order=10)
def sales(request: HttpRequest) -> Panel:
    """Revenue and orders today and over 30 days, from `order.completed` events."""
    days = orders_by_day(30)
    today = days[-1]
    link = list_link(Event, event="order.completed")
    return Panel(
        "Sales",
        figures=[
            Figure("revenue today", f"{today.revenue:,.2f}", link),
            Figure("orders today", f"{today.orders:,}", link),
            Figure("revenue, 30 days", f"{sum(d.revenue for d in days):,.2f}", link),
            Figure("orders, 30 days", f"{sum(d.orders for d in days):,}", link),
        ],
        chart=bar_chart(
            [(f"{d.day:%a %-d %b}", d.revenue) for d in days], title="Revenue per day, 30 days"
        ),
        note="From order.completed events (totals as the site sent them); a bar per day.",
        link=link,
    )


class RunInline(admin.TabularInline):
    model = ReportRun
    fields = ["period_start", "period_end", "status", "summary", "created_at"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    verbose_name_plural = "runs (newest first)"

    @admin.display(description="figures")
    def summary(self, run: ReportRun) -> str:
        return "; ".join(
            f"{m['name']} {m['value']}" + (f" ({m['change']})" if m.get("change") else "")
            for m in run.figures.get("metrics", [])
        )


class ReportForm(forms.ModelForm):
    class Meta:
        model = AnalyticsReport
        fields = ["name", "report_type", "schedule", "recipients", "config", "timezone",
                  "send_hour"]  # fmt: skip

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        candidate = AnalyticsReport(**{k: data.get(k) for k in self.Meta.fields})
        for field, message in report_errors(candidate):
            name = {"reportType": "report_type", "sendHour": "send_hour"}.get(field, field)
            target = name.split(".")[0].split("[")[0]
            self.add_error(target if target in self.fields else None, f"{field}: {message}")
        return data


class AnalysisForm(forms.Form):
    steps = forms.CharField(
        required=False, initial=",".join(advanced.DEFAULT_STEPS),
        help_text="Funnel: event names in order, comma-separated.",
    )  # fmt: skip
    window = forms.CharField(required=False, initial="7d", help_text='e.g. "7d", "24h".')
    start = forms.DateField(required=False, help_text="First day (default: 90 days ago).")
    end = forms.DateField(required=False, help_text="Last day, included (default: today).")


@admin.register(AnalyticsReport)
class AnalyticsReportAdmin(admin.ModelAdmin):
    form = ReportForm
    change_list_template = "admin/analytics/analyticsreport/change_list.html"
    list_display = ["name", "report_type", "schedule", "metric_list", "recipient_list",
                    "last_generated_at"]  # fmt: skip
    list_filter = ["report_type", "schedule"]
    inlines = [RunInline]
    actions = ["generate_now"]

    def save_model(
        self, request: HttpRequest, obj: AnalyticsReport, form: Any, change: bool
    ) -> None:
        save_report(obj)  # (checked by the form) and its schedule kept in step

    @admin.display(description="metrics")
    def metric_list(self, report: AnalyticsReport) -> str:
        return ", ".join(report.config.get("metrics", []))

    @admin.display(description="recipients")
    def recipient_list(self, report: AnalyticsReport) -> str:
        return ", ".join(report.recipients)

    def get_urls(self) -> list:
        view = self.admin_site.admin_view(self.analysis_view)
        return [path("analysis/", view, name="analytics_analysis"), *super().get_urls()]

    def analysis_view(self, request: HttpRequest) -> TemplateResponse:
        """The funnel and the cohorts, for marketers: a chart and a table each."""
        form = AnalysisForm(request.GET or None)
        context = {**self.admin_site.each_context(request), "opts": self.model._meta,
                   "title": "Funnel and cohorts", "form": form}  # fmt: skip
        if form.is_valid():
            data = form.cleaned_data
            today = timezone.localdate(clock.now())
            start = data.get("start") or today - timedelta(days=89)
            period = query.parse_period(None, str(start), str(data.get("end") or today))
            steps = [s.strip() for s in (data.get("steps") or "").split(",") if s.strip()]
            try:
                window = parse_duration(data.get("window") or "7d")
            except ValueError as exc:
                form.add_error("window", str(exc))
                return TemplateResponse(request, "admin/analytics/analysis.html", context)
            found = advanced.funnel(steps or advanced.DEFAULT_STEPS, period, window)
            context |= {
                "funnel": found,
                "funnel_chart": bar_chart([(s.event, s.customers) for s in found],
                                          title="Customers at each step", width=480,
                                          height=140, labelled=True),
                "cohorts": advanced.cohorts(period, 6),
            }  # fmt: skip
        return TemplateResponse(request, "admin/analytics/analysis.html", context)

    @admin.action(description="Generate now (for the last full period)")
    def generate_now(self, request: HttpRequest, queryset: QuerySet[AnalyticsReport]) -> None:
        for report in queryset:
            enqueue(job_type="report.generate", payload={"reportId": report.pk},
                    actor=Actor.from_request(request), request=request)  # fmt: skip
        self.message_user(request, f"{queryset.count()} report(s) queued: their runs appear "
                          "on each report in a moment.", messages.SUCCESS)  # fmt: skip
