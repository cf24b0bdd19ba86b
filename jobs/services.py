"""Putting jobs on the queue and changing them by hand: enqueue, cancel, retry, prune.

Enqueueing is an INSERT in the caller's transaction; the wake-up to the workers goes out
only when that transaction commits, so a job exists if and only if the business change
that wanted it committed.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from jsonschema.exceptions import best_match

from benchbarrier import clock
from benchbarrier.bulk_sql import update_rows
from benchbarrier.services.audit import Actor, record_audit
from jobs.models import WAITING_STATUSES, Job, JobStatus
from jobs.registry import JobHandler, JobTypeUnknown, get_handler

logger = logging.getLogger(__name__)

# True while a worker drains the queue (`jobs.runner.drain`). The drain claims again as
# soon as its batch is done, so the first claim batch of jobs its handlers enqueue
# (a workflow's next steps, a step's email) is its own and needs no wake-up.
_draining: ContextVar[bool] = ContextVar("jobs_draining", default=False)


@contextmanager
def draining() -> Iterator[None]:
    token = _draining.set(True)
    try:
        yield
    finally:
        _draining.reset(token)


class JobValidationError(ValueError):
    """A job that cannot be created; `field` is the camelCase input at fault."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


class JobStateError(Exception):
    """An action that the job's current status does not allow (API: 409)."""


@dataclass
class JobSpec:
    job_type: str
    payload: dict[str, Any] = field(default_factory=dict)
    priority: int = 0
    scheduled_for: datetime | None = None
    max_attempts: int | None = None
    idempotency_key: str | None = None


def validate_job(spec: JobSpec) -> JobHandler:
    """Refuse a job that no worker could run: unknown type, payload off its schema,
    nonsensical attempts. Raises JobValidationError naming the field; returns the
    handler that will run it."""
    try:
        handler = get_handler(spec.job_type)
    except JobTypeUnknown as exc:
        raise JobValidationError(
            "jobType", f"{exc}; registered types are listed in the API docs"
        ) from None
    if not isinstance(spec.payload, dict):
        raise JobValidationError("payload", "must be a JSON object")
    if handler.validator is not None:
        error = best_match(handler.validator.iter_errors(spec.payload))
        if error is not None:
            path = "".join(
                f"[{part}]" if isinstance(part, int) else f".{part}"
                for part in error.absolute_path
            )
            raise JobValidationError(f"payload{path}", error.message)
    if spec.max_attempts is not None and spec.max_attempts < 1:
        raise JobValidationError("maxAttempts", "must be at least 1")
    return handler


def _build(spec: JobSpec, now: datetime) -> Job:
    handler = validate_job(spec)
    return Job(
        job_type=spec.job_type,
        payload=spec.payload,
        priority=spec.priority,
        scheduled_for=spec.scheduled_for or now,
        max_attempts=spec.max_attempts or handler.max_attempts,
        idempotency_key=spec.idempotency_key or None,
        created_at=now,
    )


def enqueue(
    *,
    job_type: str,
    payload: dict[str, Any] | None = None,
    priority: int = 0,
    scheduled_for: datetime | None = None,
    max_attempts: int | None = None,
    idempotency_key: str | None = None,
    actor: Actor | None = None,
    request: Any = None,
) -> tuple[Job, bool]:
    """Add one job; returns (job, created). A repeated idempotency key returns the job
    that key made first, unchanged, with created=False."""
    spec = JobSpec(job_type, payload or {}, priority, scheduled_for, max_attempts, idempotency_key)
    now = clock.now()
    job = _build(spec, now)
    if idempotency_key:
        existing = Job.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing, False
    try:
        with transaction.atomic():
            job.save(force_insert=True)
            if actor is not None or request is not None:
                record_audit(
                    action="job.enqueued",
                    target=job,
                    changes={"jobType": job.job_type, "priority": job.priority},
                    actor=actor,
                    request=request,
                )
    except IntegrityError:
        if idempotency_key:
            return Job.objects.get(idempotency_key=idempotency_key), False
        raise
    _wake_on_commit(1 if job.scheduled_for <= now else 0)
    return job, True


def enqueue_many(
    specs: list[JobSpec], *, actor: Actor | None = None, request: Any = None
) -> list[Job]:
    """Add many jobs in one INSERT with one wake-up per claim batch (not one per job).

    All or nothing: every spec is validated first; the first invalid one raises
    JobValidationError with `index`. Specs whose idempotency key already exists return
    the existing job in their place.
    """
    now = clock.now()
    built: list[Job] = []
    for index, spec in enumerate(specs):
        try:
            built.append(_build(spec, now))
        except JobValidationError as exc:
            exc.index = index
            raise
    keys = [job.idempotency_key for job in built if job.idempotency_key]
    # The job each key stands for: the stored one, else the first of this batch.
    by_key = (
        {j.idempotency_key: j for j in Job.objects.filter(idempotency_key__in=keys)}
        if keys
        else {}
    )
    fresh = []
    for job in built:
        if job.idempotency_key:
            if job.idempotency_key in by_key:
                continue
            by_key[job.idempotency_key] = job
        fresh.append(job)
    # No savepoint: inside a caller's transaction all of it stands or falls with it.
    with transaction.atomic(savepoint=False):
        Job.objects.bulk_create(fresh, batch_size=2000)
        if actor is not None or request is not None:
            record_audit(
                action="job.bulk_enqueued",
                changes={"count": len(fresh), "types": sorted({j.job_type for j in fresh})},
                actor=actor,
                request=request,
            )
    _wake_on_commit(sum(1 for job in fresh if job.scheduled_for <= now))
    return [by_key[job.idempotency_key] if job.idempotency_key else job for job in built]


def requeue_held(items: list[tuple[Job, dict[str, Any], datetime | None]]) -> None:
    """Give jobs a worker holds back to the queue as their own next piece of work: each
    (job, new payload, due time or None for now) becomes pending again with attempts
    and errors cleared. A batch handler calls it inside its transaction, so the
    hand-back commits with the work it follows: a workflow run's job carries the run
    from one step to the next with one UPDATE instead of an INSERT and an UPDATE.

    A job its worker no longer holds (its lease ran out and it was rescued or claimed
    again) is left alone, and a new job takes the new work instead."""
    if not items:
        return
    now = clock.now()
    matched = update_rows(
        Job._meta.db_table,
        ["status", "payload", "scheduled_for", "attempts", "started_at", "locked_by",
         "lease_expires_at", "error_message", "traceback", "error_history"],
        [
            (JobStatus.PENDING, json.dumps(payload), when or now, 0, None, "", None, "", "",
             "[]", job.id, job.locked_by, JobStatus.PROCESSING)
            for job, payload, when in items
        ],
        keys=("id", "locked_by", "status"),
    )  # fmt: skip
    lost = []
    for (job, payload, when), requeued in zip(items, matched, strict=True):
        if requeued:
            job.status, job.payload, job.scheduled_for = JobStatus.PENDING, payload, when or now
        else:
            lost.append(JobSpec(job.job_type, payload, job.priority, when))
    requeued_due = [job for job, _, _ in items if job.status == JobStatus.PENDING]
    _wake_on_commit(sum(1 for job in requeued_due if job.scheduled_for <= now))
    enqueue_many(lost)


def report_progress(job: Job, *, done: int, total: int, **extra: Any) -> None:
    """Record how far a long handler is (`{"done", "total", ...}`), visible at once in
    the API and the admin: its own small UPDATE, committed outside the handler's work."""
    job.progress = {"done": done, "total": total, **extra}
    Job.objects.filter(pk=job.pk).update(progress=job.progress)


def wakeups_for(due_count: int) -> int:
    """How many wake-ups `due_count` due jobs deserve: one per claim batch, capped."""
    if due_count <= 0:
        return 0
    return min(math.ceil(due_count / settings.JOBS_CLAIM_BATCH), settings.JOBS_MAX_WAKEUPS)


def wake_workers(count: int) -> None:
    """Send `count` wake-up messages. Losing them is harmless (the beat tick wakes
    workers for every due job), so a broker outage is logged, not raised: the jobs are
    already committed and the caller's request must not fail for it."""
    from jobs.tasks import run_jobs

    try:
        for _ in range(count):
            run_jobs.apply_async()
    except Exception:
        logger.warning("could not send %d wake-up(s); the beat tick will", count, exc_info=True)


def _wake_on_commit(due_count: int) -> None:
    count = wakeups_for(due_count) - (1 if _draining.get() and due_count else 0)
    if count:
        transaction.on_commit(lambda: wake_workers(count))


def cancel_job(*, job: Job, actor: Actor, request: Any = None) -> Job:
    """Cancel a pending or retrying job so it never runs. Raises JobStateError otherwise."""
    with transaction.atomic():
        updated = Job.objects.filter(pk=job.pk, status__in=WAITING_STATUSES).update(
            status=JobStatus.CANCELLED, completed_at=clock.now()
        )
        job.refresh_from_db()
        if not updated:
            raise JobStateError(
                f"Job {job.pk} is {job.status}; only pending or retrying jobs can be cancelled."
            )
        record_audit(action="job.cancelled", target=job, actor=actor, request=request)
    return job


def retry_job(*, job: Job, actor: Actor, request: Any = None) -> Job:
    """Run a failed or cancelled job again now, keeping its attempts and error history
    (it gets one more attempt). Raises JobStateError for any other status."""
    now = clock.now()
    with transaction.atomic():
        locked = Job.objects.select_for_update().get(pk=job.pk)
        if locked.status not in (JobStatus.FAILED, JobStatus.CANCELLED):
            raise JobStateError(
                f"Job {job.pk} is {locked.status}; only failed or cancelled jobs can be retried."
            )
        locked.status = JobStatus.PENDING
        locked.scheduled_for = now
        locked.completed_at = None
        locked.max_attempts = max(locked.max_attempts, locked.attempts + 1)
        locked.save(update_fields=["status", "scheduled_for", "completed_at", "max_attempts"])
        record_audit(
            action="job.retried",
            target=locked,
            changes={"attempts": locked.attempts, "maxAttempts": locked.max_attempts},
            actor=actor,
            request=request,
        )
    _wake_on_commit(1)
    job.refresh_from_db()
    return job


def prune_completed_jobs(*, older_than: timedelta | None = None) -> int:
    """Delete completed jobs finished more than `older_than` ago (default
    JOBS_PRUNE_AFTER_DAYS). Failed and cancelled jobs stay for inspection."""
    age = older_than if older_than is not None else timedelta(days=settings.JOBS_PRUNE_AFTER_DAYS)
    deleted, _ = Job.objects.filter(
        status=JobStatus.COMPLETED, completed_at__lt=clock.now() - age
    ).delete()
    if deleted:
        record_audit(
            action="job.pruned", changes={"deleted": deleted}, actor=Actor.system("jobs.prune")
        )
    return deleted
