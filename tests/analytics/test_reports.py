"""Reports: the seed's three shipped as written, generated for their last full period
by `report.generate` into stored runs (figures, change, breakdown; dimensions not yet
splittable named), through the API and the admin."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from analytics.models import AnalyticsReport, ReportRun
from analytics.reports import SEED_REPORTS, last_period
from benchbarrier import clock
from tests.analytics.test_metrics import shop  # noqa: F401  (the hand-checked event set)
from tests.conftest import run_due_jobs

pytestmark = pytest.mark.django_db


def test_the_seeds_three_reports_ship_as_written():
    for seed in SEED_REPORTS:
        report = AnalyticsReport.objects.get(name=seed["name"])
        assert (report.report_type, report.schedule) == (seed["type"], seed["schedule"])
        assert report.config == {"metrics": seed["metrics"], "dimensions": seed["dimensions"],
                                 "filters": []}  # fmt: skip
        assert report.recipients == seed["recipients"]


def test_each_schedule_reports_its_last_full_period():
    report = AnalyticsReport(schedule="monthly", timezone="Europe/Berlin")
    now = datetime(2026, 11, 25, 12, tzinfo=UTC)
    period = last_period(report, now)
    assert (period.start.isoformat(), period.end.isoformat()) == (
        "2026-10-01T00:00:00+02:00",
        "2026-11-01T00:00:00+01:00",
    )
    report.schedule = "weekly"
    period = last_period(report, now)  # Wednesday 25th: last week is 16-22
    assert (period.start.day, period.end.day) == (16, 23)
    report.schedule = "daily"
    assert last_period(report, now).start.day == 24


def test_a_report_runs_for_a_period_through_the_api(shop, key_client):  # noqa: F811
    api = key_client("analytics")
    report = AnalyticsReport.objects.get(name="Monthly Business Review")
    answer = api.post(f"/api/analytics/reports/{report.pk}/run",
                      {"start": "2026-10-01", "end": "2026-10-31"}, format="json")  # fmt: skip
    assert answer.status_code == 202, answer.json()
    run_due_jobs()
    runs = api.get(f"/api/analytics/reports/{report.pk}/runs").json()
    figures = runs[0]["figures"]
    by_name = {m["name"]: m for m in figures["metrics"]}
    assert by_name["mrr"]["value"] == "30.00" and by_name["mrr"]["previous"] == "20.00"
    assert by_name["mrr"]["change"] == "+50.0%"
    assert by_name["customer_count"]["value"] == 2 and by_name["ltv"]["value"] == "74.67"
    assert figures["breakdown"]["month"] == [
        {"month": "2026-10", "mrr": "30.00", "customer_count": 2, "churn_rate": "0.5000",
         "ltv": "74.67"}
    ]  # fmt: skip
    assert figures["unavailable"] == {}  # all four split by customer_segment (no segment here)
    api.post(f"/api/analytics/reports/{report.pk}/run",
             {"start": "2026-10-01", "end": "2026-10-31"}, format="json")  # fmt: skip
    run_due_jobs()
    assert ReportRun.objects.filter(report=report).count() == 1, "the same period: one run"
    report.refresh_from_db()
    assert report.last_generated_at is not None


def test_bad_reports_are_refused_naming_each_field(key_client):
    api = key_client("analytics")
    answer = api.post("/api/analytics/reports", {
        "name": "Mine", "reportType": "sales", "schedule": "hourly", "recipients": ["nope"],
        "config": {"metrics": ["revenue", "profit"], "dimensions": ["colour"]},
        "timezone": "Mars/Base", "sendHour": 7,
    }, format="json")  # fmt: skip
    assert answer.status_code == 400
    fields = {e["field"] for e in answer.json()["errors"]}
    assert {"schedule", "recipients[0]", "config.metrics[1]", "config.dimensions[0]",
            "timezone"} <= fields, answer.json()  # fmt: skip
    made = api.post("/api/analytics/reports", {
        "name": "Mine", "reportType": "sales", "schedule": "daily",
        "recipients": ["me@example.com"], "config": {"metrics": ["revenue"]},
    }, format="json")  # fmt: skip
    assert made.status_code == 201, made.json()
    run = api.post(f"/api/analytics/reports/{made.json()['id']}/run",
                   {"start": "2026-10-05"}, format="json")  # fmt: skip
    assert run.status_code == 400 and run.json()["errors"][0]["field"] == "end"


def test_the_admin_lists_reports_and_generates_one_now(staff_client, shop):  # noqa: F811
    report = AnalyticsReport.objects.get(name="Daily Sales Summary")
    listing = staff_client.get(reverse("admin:analytics_analyticsreport_changelist"))
    assert "revenue, orders, average_order_value, conversion_rate" in listing.content.decode()
    staff_client.post(reverse("admin:analytics_analyticsreport_changelist"),
                      {"action": "generate_now", "_selected_action": [report.pk]})  # fmt: skip
    run_due_jobs()
    run = ReportRun.objects.get(report=report)
    assert run.period_end.date() == clock.now().date()
    page = staff_client.get(reverse("admin:analytics_analyticsreport_change", args=[report.pk]))
    assert "revenue 0.00" in page.content.decode()


def test_each_report_has_its_schedule_in_its_time_zone_and_a_period_runs_once():
    import json

    from django_celery_beat.models import PeriodicTask

    from analytics.report_schedules import TASK, generate_report
    from analytics.reports import save_report
    from jobs.models import Job

    weekly = AnalyticsReport.objects.get(name="Weekly Marketing Performance")
    task = PeriodicTask.objects.get(task=TASK, kwargs=json.dumps({"report_id": weekly.pk}))
    cron = task.crontab
    assert (cron.minute, cron.hour, cron.day_of_week, cron.day_of_month) == ("0", "7", "1", "*")
    weekly.timezone, weekly.send_hour, weekly.schedule = "Europe/Berlin", 9, "monthly"
    save_report(weekly)
    task.refresh_from_db()
    assert (task.crontab.hour, task.crontab.day_of_month, str(task.crontab.timezone)) == (
        "9",
        "1",
        "Europe/Berlin",
    )
    generate_report(weekly.pk)
    generate_report(weekly.pk)  # beat back after a while: the same period, once
    assert Job.objects.filter(job_type="report.generate").count() == 1
    run_due_jobs()
    assert ReportRun.objects.filter(report=weekly).count() == 1
    weekly.delete()
    assert not PeriodicTask.objects.filter(task=TASK, kwargs=json.dumps({"report_id": weekly.pk}))
