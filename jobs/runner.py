"""The worker loop: claim due jobs, run their handlers under a time limit, hand the
outcomes to `jobs.services` (the queue's owner), and keep draining while there is work.

Guarantees (with `jobs.services`):
- a job is held by one worker at a time, and its outcome is written only while that
  worker still holds it;
- a job is never lost: a worker that dies stops renewing its lease and the beat tick
  puts the job back, counting the attempt;
- delivery is at least once: completions are written every FLUSH_EVERY_SECONDS, so a
  worker killed in between runs some finished jobs again. Handlers are idempotent.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings

from benchbarrier import clock, telemetry
from jobs import services
from jobs.models import Job, JobStatus
from jobs.registry import (
    JobHandler,
    JobTypeUnknown,
    PermanentJobError,
    find_handler,
    get_handler,
)
from jobs.wakeups import draining, wake_workers

LEASE_MARGIN = timedelta(seconds=10)
FLUSH_EVERY_SECONDS = 0.5


class JobTimedOut(Exception):
    pass


def worker_id() -> str:
    """Names the process that holds a job: in a Celery worker its node name (whose
    heartbeat says whether it lives) and pid, `w1@host/1234`; elsewhere host and pid."""
    from celery import current_task

    node = getattr(getattr(current_task, "request", None), "hostname", None)
    if node:
        return f"{node}/{os.getpid()}"
    return f"{socket.gethostname()}:{os.getpid()}"


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
            handler = find_handler(job.job_type)
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

    def _fail(self, job: Job, exc: BaseException, handler: JobHandler | None) -> None:
        services.record_failure(
            job, exc, worker=self.worker, handler=handler,
            permanent=isinstance(exc, PermanentJobError | JobTypeUnknown),
        )  # fmt: skip

    def _run_group(self, handler: JobHandler, group: list[Job], remaining: list[Job]) -> None:
        """One call of a batch handler for all claimed jobs of its type."""
        self._renew_lease(handler, remaining)
        started = time.perf_counter()
        try:
            with time_limit(handler.timeout.total_seconds()):
                failures = handler.func(group) or {}
        except Exception as exc:
            for job in group:
                self._fail(job, exc, handler)
            return
        each = (time.perf_counter() - started) / len(group)
        for job in group:
            failure = failures.get(job.id)
            if failure is not None:
                self._fail(job, failure, handler)
            elif job.status == JobStatus.PROCESSING:  # else the handler requeued it
                self.done.append(job)
                telemetry.count_job(job.job_type, "succeeded", each)

    def _run_one(self, job: Job, remaining: list[Job]) -> None:
        try:
            handler = get_handler(job.job_type)
        except JobTypeUnknown as exc:
            self._fail(job, exc, None)
            return
        self._renew_lease(handler, remaining)
        started = time.perf_counter()
        try:
            with time_limit(handler.timeout.total_seconds()):
                job.result = handler.func(job)
        except Exception as exc:
            self._fail(job, exc, handler)
        else:
            self.done.append(job)
            telemetry.count_job(job.job_type, "succeeded", time.perf_counter() - started)

    def _renew_lease(self, handler: JobHandler, remaining: list[Job]) -> None:
        """Make sure the lease outlives this handler's time limit; when it must be
        renewed, renew it generously so the next jobs of the batch need no renewal."""
        needed = handler.timeout + min(LEASE_MARGIN, handler.timeout)
        now = clock.now()
        if self.lease_until - now >= needed:
            return
        self.lease_until = now + needed + timedelta(seconds=settings.JOBS_LEASE_SECONDS)
        services.renew_leases(remaining, worker=self.worker, until=self.lease_until)

    def flush(self) -> None:
        services.complete_jobs(self.done, worker=self.worker)
        self.done = []
        self.last_flush = time.monotonic()


def run_claimed(jobs: list[Job], *, worker: str) -> None:
    _Batch(jobs, worker).run()


def drain(*, worker: str | None = None, budget_seconds: float | None = None) -> int:
    """Claim and run due jobs until none is due or the time budget is spent (then hand
    over to a fresh wake-up, so one message never hogs a worker). Returns jobs run."""
    worker = worker or worker_id()
    budget = settings.JOBS_DRAIN_SECONDS if budget_seconds is None else budget_seconds
    deadline = time.monotonic() + budget
    processed = 0
    with draining():
        while time.monotonic() < deadline:
            jobs = services.claim_due_jobs(worker=worker, limit=settings.JOBS_CLAIM_BATCH)
            if not jobs:
                return processed
            run_claimed(jobs, worker=worker)
            processed += len(jobs)
    wake_workers(1)
    return processed


def run_until_idle(
    *, worker: str | None = None, limit: int | None = None, job_types: list[str] | None = None
) -> Iterator[list[Job]]:
    """Claim and run due jobs (of `job_types`, when given) in this process until none is
    due (or `limit` jobs ran), yielding each batch once it has run: the foreground drain
    of `manage.py jobs_drain`, of tests and of the demo data. Jobs their handlers
    enqueue for now run too; later ones wait."""
    worker = worker or worker_id()
    ran = 0
    with draining():
        while limit is None or ran < limit:
            size = (
                settings.JOBS_CLAIM_BATCH
                if limit is None
                else min(settings.JOBS_CLAIM_BATCH, limit - ran)
            )
            jobs = services.claim_due_jobs(worker=worker, limit=size, job_types=job_types)
            if not jobs:
                return
            run_claimed(jobs, worker=worker)
            ran += len(jobs)
            yield jobs
