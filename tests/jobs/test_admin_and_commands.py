from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from jobs import runner
from jobs.models import Job, JobStatus
from jobs.services import enqueue

pytestmark = pytest.mark.django_db


def test_job_list_shows_counts_filters_and_search(staff_client):
    ok, _ = enqueue(job_type="jobs.noop", idempotency_key="welcome-42")
    bad, _ = enqueue(job_type="test.refuse")
    runner.drain(worker="w1")
    url = reverse("admin:jobs_job_changelist")
    page = staff_client.get(url)
    assert page.status_code == 200
    assert b"Completed: 1" in page.content
    assert b"Failed: 1" in page.content
    assert str(bad.pk).encode() in staff_client.get(url, {"status__exact": "failed"}).content
    found = staff_client.get(url, {"q": "welcome-42"})
    assert str(ok.pk).encode() in found.content
    assert str(bad.pk).encode() not in found.content


def test_job_detail_shows_payload_error_and_traceback(staff_client):
    job, _ = enqueue(job_type="test.refuse", payload={"order": "<b>1</b>"})
    runner.drain(worker="w1")
    page = staff_client.get(reverse("admin:jobs_job_change", args=[job.pk]))
    assert page.status_code == 200
    assert b"the provider refused the request" in page.content
    assert b"Traceback (most recent call last)" in page.content
    assert b"&lt;b&gt;1&lt;/b&gt;" in page.content, "payload values are escaped"


def test_bulk_retry_and_cancel_actions(staff_client):
    failed, _ = enqueue(job_type="test.refuse")
    runner.drain(worker="w1")
    waiting, _ = enqueue(job_type="jobs.noop")
    url = reverse("admin:jobs_job_changelist")
    staff_client.post(url, {"action": "retry_jobs", "_selected_action": [failed.pk]})
    response = staff_client.post(
        url, {"action": "cancel_jobs", "_selected_action": [waiting.pk, failed.pk]}, follow=True
    )
    failed.refresh_from_db()
    waiting.refresh_from_db()
    assert waiting.status == JobStatus.CANCELLED
    assert failed.status == JobStatus.CANCELLED
    assert b"2 job(s) cancelled" in response.content


def test_enqueue_command(capsys):
    out = StringIO()
    call_command("enqueue", "test.greet", "--payload", '{"email": "a@example.com"}', stdout=out)
    assert "Enqueued test.greet job" in out.getvalue()
    assert Job.objects.get().payload == {"email": "a@example.com"}
    with pytest.raises(CommandError, match=r"Registered types: .*jobs\.noop"):
        call_command("enqueue", "nope")
    with pytest.raises(CommandError, match="--payload is not valid JSON"):
        call_command("enqueue", "jobs.noop", "--payload", "{oops")


def test_jobs_stats_command_prints_the_queue():
    enqueue(job_type="jobs.noop")
    enqueue(job_type="jobs.noop")
    enqueue(job_type="test.refuse")
    runner.drain(worker="w1")
    enqueue(job_type="jobs.noop")
    out = StringIO()
    call_command("jobs_stats", stdout=out)
    text = out.getvalue()
    noop_row = next(line for line in text.splitlines() if line.startswith("jobs.noop"))
    assert noop_row.split()[1:3] == ["1", "0"]  # pending, processing
    assert noop_row.split()[3] == "2"  # completed
    assert "2 completed, 1 failed, success rate 66.7%" in text
    assert "Processing time: p50" in text
