"""The queue with real Celery worker and beat processes on PostgreSQL and Redis."""

from __future__ import annotations

import os
import signal
import time
from datetime import datetime, timedelta

import pytest
import redis
from django.conf import settings

from benchbarrier import clock
from benchbarrier.models import AuditLogEntry, WorkerHeartbeat
from jobs.models import Job, JobStatus
from jobs.services import JobSpec, enqueue, enqueue_many
from tests.jobs.handlers import ensure_runs_table, runs
from tests.processes import wait_until

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]


def wait_for_workers(count: int) -> None:
    wait_until(
        lambda: WorkerHeartbeat.objects.alive().count() >= count,
        timeout=60,
        what=f"{count} worker(s) to report in",
    )


def wait_for_status(status: str, count: int, timeout: float, procs) -> None:
    try:
        wait_until(
            lambda: Job.objects.filter(status=status).count() >= count,
            timeout=timeout,
            what=f"{count} {status} job(s)",
        )
    except AssertionError:
        print(procs.logs())
        raise


def test_each_job_runs_exactly_once_across_three_workers(celery_procs):
    ensure_runs_table()
    for n in range(3):
        celery_procs.worker(f"w{n}", "--concurrency=2")
    wait_for_workers(3)
    enqueue_many([JobSpec("test.record") for _ in range(2000)])
    wait_for_status(JobStatus.COMPLETED, 2000, timeout=180, procs=celery_procs)
    assert len(runs()) == 2000
    assert not Job.objects.exclude(attempts=1).exists(), "no job ran twice"
    assert Job.objects.values("locked_by").distinct().count() >= 3, "the work was shared"


def test_a_job_of_a_killed_worker_runs_again_elsewhere(celery_procs):
    doomed = celery_procs.worker("doomed", "--pool=solo", JOBS_LEASE_SECONDS="2")
    wait_for_workers(1)
    job, _ = enqueue(job_type="test.sleep", payload={"seconds": 2.5, "firstOnly": True})
    wait_until(
        lambda: Job.objects.filter(pk=job.pk, status=JobStatus.PROCESSING).exists(),
        timeout=30,
        what="the job to start",
    )
    os.kill(doomed.pid, signal.SIGKILL)
    doomed.wait(10)
    first_holder = Job.objects.get(pk=job.pk).locked_by

    celery_procs.worker("survivor", "--pool=solo", JOBS_LEASE_SECONDS="2")
    celery_procs.beat()
    wait_for_status(JobStatus.COMPLETED, 1, timeout=60, procs=celery_procs)
    job.refresh_from_db()
    assert job.attempts == 2
    assert job.locked_by != first_holder
    assert job.result == {"attempt": 2}
    assert "lease expired" in job.error_message


def test_a_killed_workers_jobs_run_again_within_two_heartbeat_intervals(celery_procs):
    """Its lease would hold the job for minutes; the stopped heartbeat frees it."""
    beat = {"WORKER_HEARTBEAT_INTERVAL": "4"}  # lost after 6 s of silence
    doomed = celery_procs.worker("doomed", "--pool=solo", **beat)
    wait_for_workers(1)
    job, _ = enqueue(job_type="test.long", payload={"seconds": 120})
    wait_until(lambda: Job.objects.filter(pk=job.pk, status=JobStatus.PROCESSING).exists(),
               timeout=30, what="the job to start")  # fmt: skip
    assert Job.objects.get(pk=job.pk).lease_expires_at > clock.now() + timedelta(minutes=4)
    celery_procs.worker("survivor", "--pool=solo", **beat)
    celery_procs.beat(**beat)
    wait_for_workers(2)
    os.kill(doomed.pid, signal.SIGKILL)
    doomed.wait(10)
    killed = time.monotonic()
    wait_for_status(JobStatus.COMPLETED, 1, timeout=60, procs=celery_procs)
    again = time.monotonic() - killed
    job.refresh_from_db()
    assert job.result == {"attempt": 2} and "heartbeat stopped" in job.error_message
    assert again <= 2 * 4, f"ran again {again:.1f} s after the kill"


def test_nothing_is_lost_when_redis_is_flushed(celery_procs):
    enqueue_many([JobSpec("jobs.noop") for _ in range(500)])
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    celery_procs.worker("w1", "--concurrency=2")
    celery_procs.beat()
    wait_for_status(JobStatus.COMPLETED, 500, timeout=90, procs=celery_procs)


def test_a_higher_priority_job_runs_next(celery_procs):
    ensure_runs_table()
    celery_procs.worker("only", "--pool=solo")
    wait_for_workers(1)
    busy, _ = enqueue(job_type="test.sleep", payload={"seconds": 2})
    wait_until(
        lambda: Job.objects.filter(pk=busy.pk, status=JobStatus.PROCESSING).exists(),
        timeout=30,
        what="the worker to be busy",
    )
    enqueue_many([JobSpec("test.record") for _ in range(50)])
    urgent, _ = enqueue(job_type="test.record", priority=10)
    wait_for_status(JobStatus.COMPLETED, 52, timeout=60, procs=celery_procs)
    assert runs()[0][0] == str(urgent.pk)


def test_a_scheduled_job_waits_for_its_time(celery_procs):
    celery_procs.worker("w1", "--pool=solo")
    celery_procs.beat()
    wait_for_workers(1)
    due = clock.now() + timedelta(seconds=4)
    job, _ = enqueue(job_type="jobs.noop", scheduled_for=due)
    time.sleep(2.5)
    job.refresh_from_db()
    assert job.status == JobStatus.PENDING, "not before its time"
    wait_for_status(JobStatus.COMPLETED, 1, timeout=30, procs=celery_procs)
    job.refresh_from_db()
    assert job.started_at >= due
    assert job.started_at - due < timedelta(seconds=3), "soon after its time"


def test_retries_back_off_then_succeed_or_fail_for_good(celery_procs):
    celery_procs.worker("w1", "--concurrency=2")
    celery_procs.beat()
    wait_for_workers(1)
    flaky, _ = enqueue(job_type="test.flaky", payload={"failures": 2})
    broken, _ = enqueue(job_type="test.broken")
    wait_until(
        lambda: Job.objects.filter(status__in=["completed", "failed"]).count() == 2,
        timeout=60,
        what="both jobs to finish",
    )
    flaky.refresh_from_db()
    broken.refresh_from_db()
    assert flaky.status == JobStatus.COMPLETED
    assert flaky.attempts == 3
    delays = [
        datetime.fromisoformat(e["retryAt"]) - datetime.fromisoformat(e["at"])
        for e in flaky.error_history
    ]
    assert timedelta(seconds=1) <= delays[0] <= timedelta(seconds=1.25)
    assert timedelta(seconds=2) <= delays[1] <= timedelta(seconds=2.5)
    assert broken.status == JobStatus.FAILED
    assert broken.attempts == 2
    assert broken.error_message == "ValueError: this handler always fails"
    assert "Traceback" in broken.traceback
    assert AuditLogEntry.objects.filter(action="job.failed", target_id=str(broken.pk)).exists()
