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
