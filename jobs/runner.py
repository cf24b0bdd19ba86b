"""The worker side of the queue: claim due jobs, run them, record the outcome; rescue
jobs of dead workers; dispatch wake-ups for due jobs.

Guarantees:
- a job is held by one worker at a time: claiming is one atomic UPDATE of rows picked
  with `FOR UPDATE SKIP LOCKED` (PostgreSQL), and every outcome is written only while the
  worker still holds the job (`locked_by` matches, status `processing`);
- a job is never lost: a worker that dies stops renewing its lease and the beat tick
  puts the job back (`rescue_expired_jobs`), counting the attempt;
- delays are timestamps (`scheduled_for`), never Celery countdowns.
"""

from __future__ import annotations

import logging
import os
import random
import signal
import socket
import threading
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet

from benchbarrier import clock
from benchbarrier.services.audit import Actor, record_audit
from jobs.models import WAITING_STATUSES, Job, JobStatus
from jobs.registry import JobHandler, JobTypeUnknown, PermanentJobError, get_handler
from jobs.services import draining, wake_workers, wakeups_for
from jobs.signals import job_failed

logger = logging.getLogger(__name__)
LEASE_MARGIN = timedelta(seconds=10)
FLUSH_EVERY_SECONDS = 0.5


class JobTimedOut(Exception):
    pass


def worker_id() -> str:
    """Names the process that holds a job: host and pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


def due_jobs() -> QuerySet[Job]:
    """Waiting jobs whose time has come."""
    return Job.objects.filter(status__in=WAITING_STATUSES, scheduled_for__lte=clock.now())


def claim_due_jobs(*, worker: str, limit: int) -> list[Job]:
    """Take up to `limit` due jobs, highest priority then earliest first, for `worker`.

    Concurrent claimers never get the same job: locked rows are skipped, not waited for.
    Each claim counts as an attempt.
    """
    now = clock.now()
    with transaction.atomic():
        ids = list(
            due_jobs()
            .order_by("-priority", "scheduled_for")
            .select_for_update(skip_locked=True)
            .values_list("id", flat=True)[:limit]
        )
        if not ids:
            return []
        Job.objects.filter(id__in=ids).update(
            status=JobStatus.PROCESSING,
            attempts=F("attempts") + 1,
            started_at=now,
            locked_by=worker,
            lease_expires_at=now + timedelta(seconds=settings.JOBS_LEASE_SECONDS),
        )
    jobs = list(Job.objects.filter(id__in=ids))
    jobs.sort(key=lambda job: (-job.priority, job.scheduled_for))
    return jobs


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Interrupt a runaway handler with JobTimedOut (main thread only: prefork and solo
    pools run tasks there; elsewhere the Celery task time limit is the backstop)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise JobTimedOut(f"handler ran longer than its {seconds:g}s time limit")

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def retry_delay(handler: JobHandler, attempts: int) -> timedelta:
    """`retry_delay` * 2^(attempt-1), stretched by up to 25% jitter so that jobs that
    failed together do not all come back together."""
    base = handler.retry_delay * (2 ** max(attempts - 1, 0))
    return base * random.uniform(1.0, 1.25)  # noqa: S311 (jitter, not security)


class _Batch:
    """The jobs one worker holds: runs them in order, renews their lease when a handler
    needs more time than is left, and writes completions in few statements."""

    def __init__(self, jobs: list[Job], worker: str) -> None:
        self.jobs = jobs
        self.worker = worker
        self.lease_until = clock.now() + timedelta(seconds=settings.JOBS_LEASE_SECONDS)
        self.done: list[Job] = []
        self.last_flush = time.monotonic()

    def run(self) -> None:
        pending = list(self.jobs)
        while pending:
            job = pending[0]
            handler = _handler_or_none(job.job_type)
            if handler is not None and handler.batch:
                group = [j for j in pending if j.job_type == job.job_type]
                pending = [j for j in pending if j.job_type != job.job_type]
                self._run_group(handler, group, remaining=group + pending)
            else:
                self._run_one(job, remaining=pending)
                pending = pending[1:]
            if time.monotonic() - self.last_flush > FLUSH_EVERY_SECONDS:
                self.flush()
        self.flush()

    def _run_group(self, handler: JobHandler, group: list[Job], remaining: list[Job]) -> None:
        """One call of a batch handler for all claimed jobs of its type."""
        self._renew_lease(handler, remaining)
        try:
            with time_limit(handler.timeout.total_seconds()):
                failures = handler.func(group) or {}
        except Exception as exc:
            for job in group:
                record_failure(job, exc, worker=self.worker, handler=handler,
                               permanent=isinstance(exc, PermanentJobError))  # fmt: skip
            return
        for job in group:
            failure = failures.get(job.id)
            if failure is None:
                if job.status == JobStatus.PROCESSING:  # else the handler requeued it
                    self.done.append(job)
            else:
                record_failure(job, failure, worker=self.worker, handler=handler,
                               permanent=isinstance(failure, PermanentJobError))  # fmt: skip

    def _run_one(self, job: Job, remaining: list[Job]) -> None:
        try:
            handler = get_handler(job.job_type)
        except JobTypeUnknown as exc:
            record_failure(job, exc, worker=self.worker, handler=None, permanent=True)
            return
        self._renew_lease(handler, remaining)
        try:
            with time_limit(handler.timeout.total_seconds()):
                job.result = handler.func(job)
        except PermanentJobError as exc:
            record_failure(job, exc, worker=self.worker, handler=handler, permanent=True)
        except Exception as exc:
            record_failure(job, exc, worker=self.worker, handler=handler)
        else:
            self.done.append(job)

    def _renew_lease(self, handler: JobHandler, remaining: list[Job]) -> None:
        """Make sure the lease outlives this handler's time limit; when it must be
        renewed, renew it generously so the next jobs of the batch need no renewal."""
        needed = handler.timeout + min(LEASE_MARGIN, handler.timeout)
        now = clock.now()
        if self.lease_until - now >= needed:
            return
        self.lease_until = now + needed + timedelta(seconds=settings.JOBS_LEASE_SECONDS)
        Job.objects.filter(
            id__in=[job.id for job in remaining],
            locked_by=self.worker,
            status=JobStatus.PROCESSING,
        ).update(lease_expires_at=self.lease_until)

    def flush(self) -> None:
        """Mark finished jobs completed: one UPDATE for all without a result."""
        if not self.done:
            return
        now = clock.now()
        held = Job.objects.filter(locked_by=self.worker, status=JobStatus.PROCESSING)
        plain = [job.id for job in self.done if job.result is None]
        if plain:
            held.filter(id__in=plain).update(
                status=JobStatus.COMPLETED, completed_at=now, lease_expires_at=None
            )
        for job in self.done:
            if job.result is not None:
                held.filter(id=job.id).update(
                    status=JobStatus.COMPLETED,
                    completed_at=now,
                    lease_expires_at=None,
                    result=job.result,
                )
        self.done = []
        self.last_flush = time.monotonic()


def _handler_or_none(job_type: str) -> JobHandler | None:
    try:
        return get_handler(job_type)
    except JobTypeUnknown:
        return None


def run_claimed(jobs: list[Job], *, worker: str) -> None:
    _Batch(jobs, worker).run()


def record_failure(
    job: Job,
    exc: BaseException,
    *,
    worker: str,
    handler: JobHandler | None,
    permanent: bool = False,
) -> None:
    """Schedule a retry with backoff, or fail the job for good when its attempts are
    used up (or the error is permanent): error and traceback kept, `job_failed` sent."""
    now = clock.now()
    message = f"{type(exc).__name__}: {exc}"
    final = permanent or handler is None or job.attempts >= job.max_attempts
    retry_at = None if final else now + retry_delay(handler, job.attempts)
    entry = {"attempt": job.attempts, "error": message, "at": now, "retryAt": retry_at}
    history = [*job.error_history, entry]
    fields = {
        "error_message": message,
        "traceback": "".join(traceback.format_exception(exc)),
        "error_history": history,
        "lease_expires_at": None,
    }
    if final:
        fields.update(status=JobStatus.FAILED, completed_at=now)
    else:
        fields.update(status=JobStatus.RETRYING, scheduled_for=retry_at)
    with transaction.atomic():
        updated = Job.objects.filter(
            id=job.id, locked_by=worker, status=JobStatus.PROCESSING
        ).update(**fields)
        if updated and final:
            job.status, job.error_message = JobStatus.FAILED, message
            _notify_failed(job, message)
    if not updated:
        logger.warning(
            "job %s was no longer held by %s when it failed: %s", job.id, worker, message
        )


def _notify_failed(job: Job, message: str) -> None:
    record_audit(
        action="job.failed",
        target=job,
        changes={"attempts": job.attempts, "error": message},
        actor=Actor.system("jobs.worker"),
    )
    transaction.on_commit(lambda: job_failed.send(sender=Job, job=job))


def drain(*, worker: str | None = None, budget_seconds: float | None = None) -> int:
    """Claim and run due jobs until none is due or the time budget is spent (then hand
    over to a fresh wake-up, so one message never hogs a worker). Returns jobs run."""
    worker = worker or worker_id()
    budget = settings.JOBS_DRAIN_SECONDS if budget_seconds is None else budget_seconds
    deadline = time.monotonic() + budget
    processed = 0
    with draining():
        while time.monotonic() < deadline:
            jobs = claim_due_jobs(worker=worker, limit=settings.JOBS_CLAIM_BATCH)
            if not jobs:
                return processed
            run_claimed(jobs, worker=worker)
            processed += len(jobs)
    wake_workers(1)
    return processed


def rescue_expired_jobs() -> int:
    """Put back jobs whose worker stopped renewing their lease (it died or hung).

    The lost run counts as an attempt: a job with attempts left is `retrying` and due
    now; one without fails with a clear error and a failure notification.
    """
    now = clock.now()
    message = "worker lost: its lease expired while the job was running"
    with transaction.atomic():
        expired = list(
            Job.objects.filter(status=JobStatus.PROCESSING, lease_expires_at__lt=now)
            .select_for_update(skip_locked=True)
            .values_list("id", "attempts", "max_attempts", "locked_by")
        )
        if not expired:
            return 0
        retry_ids = [row[0] for row in expired if row[1] < row[2]]
        fail_ids = [row[0] for row in expired if row[1] >= row[2]]
        common = {"locked_by": "", "lease_expires_at": None, "error_message": message}
        Job.objects.filter(id__in=retry_ids).update(
            status=JobStatus.RETRYING, scheduled_for=now, **common
        )
        Job.objects.filter(id__in=fail_ids).update(
            status=JobStatus.FAILED, completed_at=now, **common
        )
        record_audit(
            action="job.rescued",
            changes={
                "retrying": [str(i) for i in retry_ids],
                "failed": [str(i) for i in fail_ids],
                "workers": sorted({row[3] for row in expired}),
            },
            actor=Actor.system("jobs.rescue"),
        )
        for job in Job.objects.filter(id__in=fail_ids):
            _notify_failed(job, message)
    logger.warning("rescued %d job(s) from lost workers", len(expired))
    return len(expired)


def dispatch_due_jobs() -> int:
    """Wake workers for jobs that are due (scheduled ones whose time came, retries,
    anything whose wake-up message was lost). Returns the wake-ups sent."""
    cap = settings.JOBS_CLAIM_BATCH * settings.JOBS_MAX_WAKEUPS
    due = due_jobs().values("id")[:cap].count()
    count = wakeups_for(due)
    wake_workers(count)
    return count
