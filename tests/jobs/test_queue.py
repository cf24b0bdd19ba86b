"""The queue's rules, run in this process against the real database (the worker
processes run the same code; see test_workers.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from benchbarrier import clock
from benchbarrier.models import AuditLogEntry
from benchbarrier.services.audit import Actor
from jobs import runner, services
from jobs.models import Job, JobStatus
from jobs.services import (
    JobSpec,
    JobStateError,
    JobValidationError,
    cancel_job,
    enqueue,
    enqueue_many,
    prune_completed_jobs,
    requeue_held,
    retry_job,
)
from jobs.signals import job_failed
from jobs.wakeups import draining
from tests.jobs.handlers import ensure_runs_table, runs

pytestmark = pytest.mark.django_db
STAFF = Actor.system("tests")


def test_enqueue_claim_and_complete():
    job, created = enqueue(job_type="test.greet", payload={"email": "a@example.com"})
    assert created and job.status == JobStatus.PENDING and job.max_attempts == 3
    assert runner.drain(worker="w1") == 1
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED
    assert job.result == {"greeted": "a@example.com"}
    assert job.attempts == 1 and job.locked_by == "w1" and job.lease_expires_at is None


def test_unknown_type_and_bad_payload_are_refused_at_creation():
    with pytest.raises(JobValidationError, match=r'unknown job type "email\.sned"') as exc:
        enqueue(job_type="email.sned")
    assert exc.value.field == "jobType"
    with pytest.raises(JobValidationError) as exc:
        enqueue(job_type="test.greet", payload={"email": "a@example.com", "count": 0})
    assert exc.value.field == "payload.count"
    assert not Job.objects.exists()


def test_idempotency_key_returns_the_first_job():
    first, created = enqueue(job_type="jobs.noop", idempotency_key="order-1")
    again, created_again = enqueue(job_type="jobs.noop", idempotency_key="order-1", priority=5)
    assert created and not created_again
    assert again.pk == first.pk and again.priority == 0
    assert Job.objects.count() == 1


def test_bulk_enqueue_is_one_insert_and_keeps_order():
    specs = [JobSpec("jobs.noop", {"n": i}) for i in range(500)]
    with CaptureQueriesContext(connection) as queries:
        jobs = enqueue_many(specs)
    inserts = [q for q in queries if q["sql"].startswith("INSERT")]
    # PostgreSQL takes the 500 rows in one statement; SQLite caps parameters per statement.
    assert len(inserts) == 1 if connection.vendor == "postgresql" else len(inserts) <= 20
    assert [j.payload["n"] for j in jobs] == list(range(500))
    assert Job.objects.count() == 500


def test_bulk_enqueue_is_all_or_nothing():
    specs = [JobSpec("jobs.noop"), JobSpec("test.greet", {"email": 3})]
    with pytest.raises(JobValidationError) as exc:
        enqueue_many(specs)
    assert exc.value.index == 1 and exc.value.field == "payload.email"
    assert not Job.objects.exists()


def test_bulk_enqueue_honours_idempotency_keys():
    existing, _ = enqueue(job_type="jobs.noop", idempotency_key="k1")
    jobs = enqueue_many(
        [
            JobSpec("jobs.noop", idempotency_key="k1"),
            JobSpec("jobs.noop"),
            JobSpec("jobs.noop", idempotency_key="k2"),
            JobSpec("jobs.noop", idempotency_key="k2", priority=9),
        ]
    )
    assert jobs[0].pk == existing.pk
    assert jobs[3].pk == jobs[2].pk, "a key repeated within the batch makes one job"
    assert jobs[3].priority == 0
    assert Job.objects.count() == 3


def test_claim_takes_highest_priority_then_earliest_and_only_due():
    now = clock.now()
    low, _ = enqueue(job_type="jobs.noop", priority=0, scheduled_for=now - timedelta(minutes=5))
    high, _ = enqueue(job_type="jobs.noop", priority=10)
    later, _ = enqueue(job_type="jobs.noop", priority=99, scheduled_for=now + timedelta(hours=1))
    claimed = services.claim_due_jobs(worker="w1", limit=10)
    assert [j.pk for j in claimed] == [high.pk, low.pk]
    assert services.claim_due_jobs(worker="w2", limit=10) == [], "claimed jobs are not re-claimed"
    clock.advance(timedelta(hours=1, seconds=1))
    assert [j.pk for j in services.claim_due_jobs(worker="w2", limit=10)] == [later.pk]


def test_a_flaky_job_retries_with_growing_delays_then_completes():
    job, _ = enqueue(job_type="test.flaky", payload={"failures": 2})
    delays = []
    slack = timedelta(0)  # the time the drain itself took (the clock runs on)
    for _ in range(2):
        started = clock.now()
        runner.drain(worker="w1")
        slack = max(slack, clock.now() - started)
        job.refresh_from_db()
        assert job.status == JobStatus.RETRYING
        delays.append(job.scheduled_for - started)
        assert runner.drain(worker="w1") == 0, "not due before its retry time"
        clock.advance(job.scheduled_for - clock.now() + timedelta(seconds=1))
    runner.drain(worker="w1")
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED and job.attempts == 3
    assert job.result == {"succeededOnAttempt": 3}
    assert timedelta(seconds=1) <= delays[0] <= timedelta(seconds=1.25) + slack
    assert timedelta(seconds=2) <= delays[1] <= timedelta(seconds=2.5) + slack
    assert [e["error"] for e in job.error_history] == [
        "RuntimeError: planned failure 1",
        "RuntimeError: planned failure 2",
    ]


def test_an_always_failing_job_fails_after_max_attempts_and_notifies(
    django_capture_on_commit_callbacks,
):
    failed = []
    job_failed.connect(lambda sender, job, **kw: failed.append(job.pk), weak=False)
    job, _ = enqueue(job_type="test.broken")
    with django_capture_on_commit_callbacks(execute=True):
        runner.drain(worker="w1")
        clock.advance(timedelta(minutes=1))
        runner.drain(worker="w1")
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.attempts == 2
    assert job.error_message == "ValueError: this handler always fails"
    assert 'raise ValueError("this handler always fails")' in job.traceback
    assert failed == [job.pk]
    assert AuditLogEntry.objects.filter(action="job.failed", target_id=str(job.pk)).exists()


def test_a_permanent_error_fails_at_once():
    job, _ = enqueue(job_type="test.refuse")
    runner.drain(worker="w1")
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.attempts == 1


def test_a_runaway_handler_is_stopped_by_its_time_limit():
    job, _ = enqueue(job_type="test.sleep", payload={"seconds": 10}, max_attempts=1)
    runner.drain(worker="w1")
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error_message == "JobTimedOut: handler ran longer than its 3s time limit"


def test_a_job_of_a_dead_worker_is_rescued_counting_the_attempt():
    job, _ = enqueue(job_type="jobs.noop", max_attempts=3)
    services.claim_due_jobs(worker="dead-worker", limit=1)
    assert services.rescue_expired_jobs() == 0, "lease still running"
    clock.advance(timedelta(minutes=2))
    assert services.rescue_expired_jobs() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.RETRYING and job.attempts == 1
    assert "lease expired" in job.error_message
    runner.drain(worker="w2")
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED and job.attempts == 2
    assert AuditLogEntry.objects.filter(action="job.rescued").count() == 1


def test_the_dead_worker_cannot_overwrite_a_rescued_job():
    job, _ = enqueue(job_type="jobs.noop", max_attempts=3)
    claimed = services.claim_due_jobs(worker="slow-worker", limit=1)
    clock.advance(timedelta(minutes=2))
    services.rescue_expired_jobs()
    services.record_failure(claimed[0], RuntimeError("late"), worker="slow-worker", handler=None)
    job.refresh_from_db()
    assert job.status == JobStatus.RETRYING and "late" not in job.error_message


def test_cancel_only_waiting_jobs():
    job, _ = enqueue(job_type="jobs.noop")
    cancel_job(job=job, actor=STAFF)
    assert job.status == JobStatus.CANCELLED
    assert runner.drain(worker="w1") == 0, "a cancelled job never runs"
    with pytest.raises(JobStateError, match="only pending or retrying"):
        cancel_job(job=job, actor=STAFF)


def test_manual_retry_keeps_the_attempt_history():
    job, _ = enqueue(job_type="test.flaky", payload={"failures": 1}, max_attempts=1)
    runner.drain(worker="w1")
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    with pytest.raises(JobStateError):
        cancel_job(job=job, actor=STAFF)
    retry_job(job=job, actor=STAFF)
    assert job.status == JobStatus.PENDING and job.max_attempts == 2
    runner.drain(worker="w1")
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED and job.attempts == 2
    assert len(job.error_history) == 1
    with pytest.raises(JobStateError, match="only failed or cancelled"):
        retry_job(job=job, actor=STAFF)


def test_prune_removes_only_old_completed_jobs():
    enqueue(job_type="jobs.noop")
    runner.drain(worker="w1")
    broken, _ = enqueue(job_type="test.refuse")
    runner.drain(worker="w1")
    clock.advance(timedelta(days=15))
    fresh, _ = enqueue(job_type="jobs.noop")
    runner.drain(worker="w1")
    assert prune_completed_jobs() == 1
    assert set(Job.objects.values_list("pk", flat=True)) == {broken.pk, fresh.pk}


def test_completions_are_written_in_one_statement(django_assert_max_num_queries):
    ensure_runs_table()
    enqueue_many([JobSpec("test.record") for _ in range(10)])
    # claim (savepoint, select, update, release, fetch), 10 handler inserts, one
    # completion for all ten, then an empty claim (savepoint, select, release)
    with django_assert_max_num_queries(5 + 10 + 1 + 3):
        assert runner.drain(worker="w1") == 10
    assert len(runs()) == 10
    assert Job.objects.filter(status=JobStatus.COMPLETED).count() == 10


def test_a_batch_handler_gets_all_its_claimed_jobs_in_one_call():
    from tests.jobs.handlers import BATCH_CALLS

    BATCH_CALLS.clear()
    ok = [enqueue(job_type="test.batch", payload={})[0] for _ in range(3)]
    retry, _ = enqueue(job_type="test.batch", payload={"fail": "retry"})
    refused, _ = enqueue(job_type="test.batch", payload={"fail": "permanent"})
    other, _ = enqueue(job_type="jobs.noop")
    runner.drain(worker="w1")
    assert len(BATCH_CALLS) == 1
    assert sorted(BATCH_CALLS[0]) == sorted([j.pk for j in ok] + [retry.pk, refused.pk])
    for job in ok:
        job.refresh_from_db()
        assert job.status == JobStatus.COMPLETED and job.result == {"done": str(job.pk)}
    retry.refresh_from_db()
    refused.refresh_from_db()
    other.refresh_from_db()
    assert retry.status == JobStatus.RETRYING and "planned failure" in retry.error_message
    assert refused.status == JobStatus.FAILED
    assert other.status == JobStatus.COMPLETED


def test_wakeups_one_per_claim_batch_and_none_for_a_draining_workers_own_batch(
    settings, django_capture_on_commit_callbacks
):
    from celery.signals import before_task_publish

    settings.JOBS_CLAIM_BATCH = 10
    sent = []

    def count(sender=None, **kwargs):
        if sender == "jobs.run":
            sent.append(sender)

    before_task_publish.connect(count, weak=False)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            enqueue_many([JobSpec("test.greet", {"email": "a@example.com"})] * 25)
        assert len(sent) == 3, "25 due jobs: one wake-up per claim batch of 10"
        sent.clear()
        with django_capture_on_commit_callbacks(execute=True), draining():
            enqueue_many([JobSpec("test.greet", {"email": "a@example.com"})] * 10)
        assert sent == [], "a draining worker claims its own follow-ups next"
        with django_capture_on_commit_callbacks(execute=True), draining():
            enqueue_many([JobSpec("test.greet", {"email": "a@example.com"})] * 25)
        assert len(sent) == 2, "beyond its own batch, other workers are woken"
    finally:
        before_task_publish.disconnect(count)


def test_requeue_held_hands_a_held_job_back_and_a_lost_ones_work_to_a_new_job():
    enqueue_many([JobSpec("test.greet", {"email": "a@example.com"})] * 2)
    held, lost = services.claim_due_jobs(worker="w1", limit=2)
    Job.objects.filter(pk=lost.pk).update(locked_by="w2")  # its lease was taken over
    later = clock.now() + timedelta(hours=1)
    requeue_held([(held, {"email": "b@example.com"}, later), (lost, {"email": "x"}, None)])
    held.refresh_from_db()
    assert (held.status, held.payload, held.scheduled_for) == (
        JobStatus.PENDING, {"email": "b@example.com"}, later,
    )  # fmt: skip
    assert (held.attempts, held.locked_by, held.lease_expires_at) == (0, "", None)
    lost.refresh_from_db()
    assert (lost.status, lost.payload, lost.locked_by) == (
        JobStatus.PROCESSING, {"email": "a@example.com"}, "w2",
    )  # fmt: skip
    instead = Job.objects.exclude(pk__in=[held.pk, lost.pk]).get()
    assert (instead.status, instead.payload) == (JobStatus.PENDING, {"email": "x"})


def test_noop_run_twice_completes_and_does_nothing():
    from tests.at_least_once import run_twice

    enqueue(job_type="jobs.noop")

    (job,) = run_twice("jobs.noop")

    assert job.result is None and Job.objects.count() == 1
