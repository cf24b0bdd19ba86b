"""`data.export`: events of a date range as CSV in a zip, downloaded through a signed
link, the expired or forged link refused."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import timedelta

import pytest

from analytics.services import record_events
from benchbarrier import clock
from benchbarrier.models import AuditLogEntry
from jobs.models import Job
from tests.analytics.test_metrics import event
from tests.conftest import run_due_jobs

pytestmark = pytest.mark.django_db


def test_events_are_exported_and_downloaded_until_the_link_expires(
    key_client, client, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    settings.SITE_URL = "https://ops.example.com"
    events = [event("order.completed", "2026-10-02", "u1", orderId="1", total="9.50"),
              event("page.viewed", "2026-10-03", None, "s1"),
              event("page.viewed", "2026-11-03", None, "s2")]  # fmt: skip
    assert len(record_events(events).stored) == 3
    api = key_client("analytics")
    bad = api.post("/api/analytics/exports", {"start": "2026-10-31", "end": "2026-10-01"},
                   format="json")  # fmt: skip
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "end"
    queued = api.post("/api/analytics/exports", {"start": "2026-10-01", "end": "2026-10-31"},
                      format="json")  # fmt: skip
    assert queued.status_code == 202
    run_due_jobs()
    job = Job.objects.get(pk=queued.json()["jobId"])
    assert job.status == "completed" and job.result["rows"] == 2
    assert job.progress == {"done": 2, "total": 2}
    assert AuditLogEntry.objects.filter(action="data.exported").exists()
    path = job.result["url"].removeprefix("https://ops.example.com")
    download = client.get(path)
    assert download.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    rows = list(csv.DictReader(io.StringIO(archive.read("events.csv").decode())))
    assert [r["event_name"] for r in rows] == ["order.completed", "page.viewed"]
    assert json.loads(rows[0]["properties"]) == {"orderId": "1", "total": "9.50"}
    assert client.get(path[:-2] + "xx").status_code == 404  # forged
    clock.advance(timedelta(hours=settings.DATA_EXPORT_LINK_HOURS, seconds=1))
    expired = client.get(path)
    assert expired.status_code == 410 and b"expired" in expired.content


def download_zip(client, job: Job) -> zipfile.ZipFile:
    from django.conf import settings

    path = job.result["url"].removeprefix(settings.SITE_URL.rstrip("/"))
    answer = client.get(path)
    assert answer.status_code == 200
    return zipfile.ZipFile(io.BytesIO(b"".join(answer.streaming_content)))


def test_everything_held_about_one_customer_is_exported_from_every_app(
    key_client, client, settings, tmp_path
):
    from marketing.models import Customer, DiscountCode, Segment

    settings.MEDIA_ROOT = tmp_path
    ada = Customer.objects.create(external_id="ada", email="ada@example.com", name="Ada",
                                  email_opt_in=True)  # fmt: skip
    Customer.objects.create(external_id="bob", email="bob@example.com")
    Segment.objects.create(name="Fans", kind="static").memberships.create(customer=ada)
    DiscountCode.objects.create(code="ADA10", value=10, customer=ada, user_id="ada")
    record_events([event("page.viewed", "2026-10-03", "ada", "s1"),
                   event("page.viewed", "2026-10-03", "bob", "s2")])  # fmt: skip
    api = key_client("analytics")
    missing = api.post("/api/analytics/exports", {"kind": "customer"}, format="json")
    assert missing.status_code == 400 and missing.json()["errors"][0]["field"] == "userId"
    queued = api.post("/api/analytics/exports", {"kind": "customer", "userId": "ada"},
                      format="json")  # fmt: skip
    assert queued.status_code == 202, queued.json()
    run_due_jobs()
    job = Job.objects.get(pk=queued.json()["jobId"])
    assert job.status == "completed", job.error_message
    archive = download_zip(client, job)
    read = lambda name: json.loads(archive.read(name))  # noqa: E731
    assert read("customer.json")[0]["email"] == "ada@example.com"
    assert [e["session_id"] for e in read("events.json")] == ["s1"]  # Ada's, not Bob's
    assert read("segments.json")[0]["segment"] == "Fans"
    assert read("discount_codes.json")[0]["code"] == "ADA10"
    assert read("email_deliveries.json") == []
    assert "events.json: everything the site and the back office recorded" in archive.read(
        "README.txt").decode()  # fmt: skip
    audit = AuditLogEntry.objects.get(action="data.exported")
    assert audit.changes["userId"] == "ada" and "Ada" not in json.dumps(audit.changes)


def test_a_report_runs_breakdown_is_exported(key_client, client, settings, tmp_path):
    from analytics.models import AnalyticsReport
    from jobs.services import enqueue

    settings.MEDIA_ROOT = tmp_path
    record_events([event("order.completed", "2026-10-02", "u1", orderId="1", total="9.50")])
    report = AnalyticsReport.objects.get(name="Daily Sales Summary")
    enqueue(job_type="report.generate", payload={"reportId": report.pk, "send": False,
                                                 "start": "2026-10-02", "end": "2026-10-02"})  # fmt: skip
    run_due_jobs()
    api = key_client("analytics")
    nowhere = api.post("/api/analytics/exports", {"kind": "report", "runId": 999}, format="json")
    assert nowhere.status_code == 400 and nowhere.json()["errors"][0]["field"] == "runId"
    run = report.runs.get()
    queued = api.post("/api/analytics/exports", {"kind": "report", "runId": run.pk},
                      format="json")  # fmt: skip
    run_due_jobs()
    archive = download_zip(client, Job.objects.get(pk=queued.json()["jobId"]))
    rows = list(csv.reader(io.StringIO(archive.read("breakdown.csv").decode())))
    assert rows[1][:3] == ["period", "this period", "9.50"]
    assert ["product_category", "(none)", "9.50", "1", "9.50", ""] in rows  # (no items)
    assert json.loads(archive.read("figures.json"))["metrics"][0]["name"] == "revenue"


def test_an_export_run_twice_is_one_file_and_one_audit_entry(settings, tmp_path):
    from jobs.services import enqueue
    from tests.at_least_once import run_twice

    settings.MEDIA_ROOT = tmp_path
    record_events([event("page.viewed", "2026-10-03", "ada", "s1")])
    enqueue(job_type="data.export", payload={"kind": "customer", "userId": "ada"})

    (job,) = run_twice("data.export")

    job.refresh_from_db()
    assert [p.name for p in (tmp_path / "exports").iterdir()] == [f"customer-{job.pk}.zip"]
    assert job.result["file"] == f"exports/customer-{job.pk}.zip"
    assert AuditLogEntry.objects.filter(action="data.exported").count() == 1
