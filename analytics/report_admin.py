"""Reports in the admin: the editor with a live preview of this period so far (the email as
it will look, charts included), generate-and-email now, the funnel and cohorts page; runs
as they were emailed (charts shown from the run's files), their attachments, send again."""

from __future__ import annotations

import base64
import json
import mimetypes
from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.files.storage import default_storage
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from analytics import advanced, query, report_email, report_figures
from analytics.models import AnalyticsReport, ReportRun
from analytics.png_charts import bars_png
from analytics.reports import current_period, report_errors, save_report
from benchbarrier import clock
from benchbarrier.admin.read_only import ReadOnlyAdmin
from benchbarrier.charts import bar_chart
from benchbarrier.durations import parse_duration
from benchbarrier.mailer import MailerUnavailable, get_mailer
from benchbarrier.security_headers import frameable_here
from benchbarrier.services.audit import Actor
from jobs.services import enqueue


class RunInline(admin.TabularInline):
    model = ReportRun
    fields = ["period_link", "status", "summary", "sent_at"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    verbose_name_plural = "runs (newest first)"

    @admin.display(description="period")
    def period_link(self, run: ReportRun) -> str:
        url = reverse("admin:analytics_reportrun_change", args=[run.pk])
        return format_html('<a href="{}">{}</a>', url, run_label(run))

    @admin.display(description="figures")
    def summary(self, run: ReportRun) -> str:
        return "; ".join(
            f"{m['name']} {m['value']}" + (f" ({m['change']})" if m.get("change") else "")
            for m in run.figures.get("metrics", [])
        )


def run_label(run: ReportRun) -> str:
    return report_figures.label(run.period) if run.period_start else ""


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
    change_form_template = "admin/analytics/analyticsreport/change_form.html"
    list_display = ["name", "report_type", "schedule", "metric_list", "recipient_list",
                    "last_generated_at"]  # fmt: skip
    list_filter = ["report_type", "schedule"]
    search_fields = ["name"]
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
        wrap = self.admin_site.admin_view
        return [
            path("analysis/", wrap(self.analysis_view), name="analytics_analysis"),
            path(
                "preview/",
                wrap(frameable_here(self.preview_view)),
                name="analytics_report_preview",
            ),
            *super().get_urls(),
        ]

    def preview_view(self, request: HttpRequest) -> HttpResponse:
        """The email this report would send for its period so far, from the form's values
        (charts inline as data: images; no AI summary, which would cost)."""
        try:
            config = json.loads(request.GET.get("config") or "{}")
        except json.JSONDecodeError as exc:
            return _note(f"config is not JSON: {exc}")
        report = AnalyticsReport(
            name=request.GET.get("name") or "Report", report_type="sales", config=config,
            schedule=request.GET.get("schedule") or "daily", recipients=["preview@localhost"],
            timezone=request.GET.get("timezone") or "UTC",
        )  # fmt: skip
        problems = [f"{field}: {message}" for field, message in report_errors(report)
                    if field.startswith(("config", "schedule", "timezone"))]  # fmt: skip
        if problems:
            return _note("Fix to see the preview: " + "; ".join(problems))
        period = current_period(report)
        figures = report_figures.compute(report, period, summarise=False)
        run = ReportRun(report=report, period_start=period.start, period_end=period.end,
                        figures=figures)  # fmt: skip
        charts = {m["name"]: _data_chart(m) for m in run.figures["metrics"]}
        try:
            rendered = get_mailer().render(report_email.TEMPLATE,
                                           report_email.variables(run, charts))  # fmt: skip
        except MailerUnavailable as exc:
            return _note(str(exc))
        return HttpResponse(rendered.html)

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

    @admin.action(description="Generate and email now (for the last full period)")
    def generate_now(self, request: HttpRequest, queryset: QuerySet[AnalyticsReport]) -> None:
        for report in queryset:
            enqueue(job_type="report.generate", payload={"reportId": report.pk},
                    actor=Actor.from_request(request), request=request)  # fmt: skip
        self.message_user(
            request,
            f"{queryset.count()} report(s) queued: their runs appear on each report in a "
            "moment, and go to the recipients (once per period: Send again on a run repeats "
            "it).",
            messages.SUCCESS,
        )


def _data_chart(metric: dict[str, Any]) -> str:
    """A metric's chart as a data: URL in place of an inline attachment (the preview)."""
    bars = [(h["label"], h["value"]) for h in metric["history"]] + [("so far", metric["value"])]
    png = base64.b64encode(bars_png(f"{metric['name']}: the last {len(bars)} periods", bars))
    return f"data:image/png;base64,{png.decode()}"


def _note(text: str) -> HttpResponse:
    return HttpResponse(format_html('<p style="font-family:sans-serif">{}</p>', text))


@admin.register(ReportRun)
class ReportRunAdmin(ReadOnlyAdmin):
    """A run as it was emailed: re-read, open its files, send again."""

    list_display = ["report", "period", "status", "sent_at", "recipients", "created_at"]
    list_filter = ["report", "status"]
    list_select_related = ["report"]
    date_hierarchy = "period_start"
    actions = ["send_again"]
    fields = ["report", "period", "status", "error", "sent_at", "recipients", "files",
              "anomaly_list", "email"]  # fmt: skip
    readonly_fields = fields

    @admin.display(description="period")
    def period(self, run: ReportRun) -> str:
        return run_label(run)

    @admin.display(description="sent to")
    def recipients(self, run: ReportRun) -> str:
        return ", ".join(d["to"] for d in run.deliveries)

    @admin.display(description="attachments")
    def files(self, run: ReportRun) -> str:
        return format_html_join(" · ", '<a href="{}">{}</a>', [
            (reverse("admin:analytics_reportrun_file", args=[run.pk, a["filename"]]),
             a["filename"]) for a in run.attachments
        ]) or "none"  # fmt: skip

    @admin.display(description="outside the usual range")
    def anomaly_list(self, run: ReportRun) -> str:
        return "; ".join(run.figures.get("anomalies", [])) or "nothing unusual"

    @admin.display(description="email")
    def email(self, run: ReportRun) -> str:
        if not run.email_html:
            return run.error or "Not emailed."
        html = run.email_html
        for a in run.attachments:
            if a.get("contentId"):
                url = reverse("admin:analytics_reportrun_file", args=[run.pk, a["filename"]])
                html = html.replace(f"cid:{a['contentId']}", url)
        return format_html(
            '<p><strong>{}</strong></p><iframe title="The email as sent" srcdoc="{}" '
            'style="width:720px;max-width:100%;height:900px;border:1px solid #ddd"></iframe>',
            run.email_subject, html,
        )  # fmt: skip

    def get_urls(self) -> list:
        view = self.admin_site.admin_view(self.file_view)
        return [path("<int:pk>/file/<str:name>/", view, name="analytics_reportrun_file"),
                *super().get_urls()]  # fmt: skip

    def file_view(self, request: HttpRequest, pk: int, name: str) -> FileResponse:
        run = ReportRun.objects.filter(pk=pk).first()
        found = [a for a in (run.attachments if run else []) if a["filename"] == name]
        if not found or not self.has_view_permission(request, run):
            raise Http404("no such file")
        content_type = found[0]["contentType"] or mimetypes.guess_type(name)[0]
        return FileResponse(default_storage.open(found[0]["path"], "rb"),
                            content_type=content_type, filename=name)  # fmt: skip

    @admin.action(description="Send again to the report's recipients")
    def send_again(self, request: HttpRequest, queryset: QuerySet[ReportRun]) -> None:
        sent = 0
        for run in queryset.select_related("report"):
            try:
                if not run.attachments:
                    report_email.compose(run)
                sent += len(report_email.send(run, again=True))
            except MailerUnavailable as exc:
                self.message_user(request, f"{run}: {exc}", messages.ERROR)
        self.message_user(request, f"{sent} email(s) queued.", messages.SUCCESS)
