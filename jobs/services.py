"""The queue's single owner: every change of a job row happens here.

    enqueue / enqueue_many       a job exists if and only if the caller's transaction commits
    claim_due_jobs               pending/retrying -> processing (one worker at a time)
    renew_leases                 a worker keeps what it holds
    complete_jobs                processing -> completed
    record_failure               processing -> retrying (backoff) or failed (for good)
    requeue_held                 processing -> pending with new work (a run's next step)
    rescue_expired_jobs          processing (worker gone) -> retrying or failed
    cancel_job / retry_job       by hand
    prune_completed_jobs         completed rows deleted after a while

Every outcome is written only while the worker still holds the job (`locked_by`
matches and the status is `processing`), so a late or duplicate worker changes nothing.
Wake-ups go out on commit (`jobs.wakeups`); the worker loop is `jobs.runner`.
"""

from __future__ import annotations

import json
import logging
import random
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from jsonschema.exceptions import best_match

from benchbarrier import clock, telemetry
from benchbarrier.bulk_sql import update_rows
from benchbarrier.models import WorkerHeartbeat
from benchbarrier.services.audit import Actor, record_audit
from jobs.models import WAITING_STATUSES, Job, JobStatus
from jobs.registry import JobHandler, JobTypeUnknown, RetryLater, find_handler, get_handler
from jobs.signals import job_failed
from jobs.wakeups import wake_on_commit

logger = logging.getLogger(__name__)


class JobValidationError(ValueError):
    """A job that cannot be created; `field` is the camelCase input at fault."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


class JobStateError(Exception):
    """An action that the job's current status does not allow (API: 409)."""


@dataclass
class JobSpec:
    """A job to create. `validate_job` checks it once and remembers its handler."""

    job_type: str
    payload: dict[str, Any] = field(default_factory=dict)
    priority: int = 0
    scheduled_for: datetime | None = None
    max_attempts: int | None = None
    idempotency_key: str | None = None
    handler: JobHandler | None = field(default=None, repr=False, compare=False)


# --- creating ---------------------------------------------------------------------------


def validate_job(spec: JobSpec) -> JobHandler:
    """Refuse a job that no worker could run: unknown type, payload off its schema,
    nonsensical attempts. Raises JobValidationError naming the field; returns (and
    remembers on the spec) the handler that will run it."""
    if spec.handler is not None:
        return spec.handler
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
    if handler.validate is not None:
        for path, message in handler.validate(spec.payload):
            raise JobValidationError(f"payload.{path}" if path else "payload", message)
    if spec.max_attempts is not None and spec.max_attempts < 1:
        raise JobValidationError("maxAttempts", "must be at least 1")
    spec.handler = handler
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
    return enqueue_spec(spec, actor=actor, request=request)


def enqueue_spec(
    spec: JobSpec, *, actor: Actor | None = None, request: Any = None
) -> tuple[Job, bool]:
    """`enqueue` for a spec (validated already, or now)."""
    now = clock.now()
    job = _build(spec, now)
    key = job.idempotency_key
    if key:
        existing = Job.objects.filter(idempotency_key=key).first()
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
        if key:
            return Job.objects.get(idempotency_key=key), False
        raise
    wake_on_commit(1 if job.scheduled_for <= now else 0)
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
    wake_on_commit(sum(1 for job in fresh if job.scheduled_for <= now))
    return [by_key[job.idempotency_key] if job.idempotency_key else job for job in built]


# --- a worker's jobs --------------------------------------------------------------------


def due_jobs() -> QuerySet[Job]:
    """Waiting jobs whose time has come."""
    return Job.objects.filter(status__in=WAITING_STATUSES, scheduled_for__lte=clock.now())


def claim_due_jobs(*, worker: str, limit: int, job_types: list[str] | None = None) -> list[Job]:
    """Take up to `limit` due jobs (of `job_types`, when given), highest priority then
    earliest first, for `worker`.

    Concurrent claimers never get the same job: locked rows are skipped, not waited for.
    Each claim counts as an attempt.
    """
    now = clock.now()
    due = due_jobs() if job_types is None else due_jobs().filter(job_type__in=job_types)
    with transaction.atomic():
        rows = list(
            due.order_by("-priority", "scheduled_for")
            .select_for_update(skip_locked=True)
            .values_list("id", "job_type")[:limit]
        )
        ids = _within_per_claim(rows)
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


def _within_per_claim(rows: list[tuple[int, str]]) -> list[int]:
    """The ids to claim, leaving out jobs beyond their type's `per_claim` (they stay
    pending, for another worker's claim)."""
    taken: dict[str, int] = {}
    ids = []
    for job_id, job_type in rows:
        handler = find_handler(job_type)
        cap = handler.per_claim if handler is not None else None
        taken[job_type] = taken.get(job_type, 0) + 1
        if cap is None or taken[job_type] <= cap:
            ids.append(job_id)
    return ids


def _held(worker: str) -> QuerySet[Job]:
    return Job.objects.filter(locked_by=worker, status=JobStatus.PROCESSING)


def renew_leases(jobs: list[Job], *, worker: str, until: datetime) -> None:
    """Extend the lease of the jobs `worker` still holds to `until`."""
    _held(worker).filter(id__in=[job.id for job in jobs]).update(lease_expires_at=until)


def complete_jobs(jobs: list[Job], *, worker: str) -> None:
    """Mark finished jobs completed: one UPDATE for all without a result."""
    if not jobs:
        return
    now = clock.now()
    held = _held(worker)
    plain = [job.id for job in jobs if job.result is None]
    if plain:
        held.filter(id__in=plain).update(
            status=JobStatus.COMPLETED, completed_at=now, lease_expires_at=None
        )
    for job in jobs:
        if job.result is not None:
            held.filter(id=job.id).update(
                status=JobStatus.COMPLETED, completed_at=now, lease_expires_at=None,
                result=job.result,
            )  # fmt: skip


def retry_delay(handler: JobHandler, attempts: int) -> timedelta:
    """`retry_delay` * 2^(attempt-1), stretched by up to 25% jitter so that jobs that
    failed together do not all come back together."""
    base = handler.retry_delay * (2 ** max(attempts - 1, 0))
    return base * random.uniform(1.0, 1.25)  # noqa: S311 (jitter, not security)


def record_failure(
    job: Job,
    exc: BaseException,
    *,
    worker: str,
    handler: JobHandler | None,
    permanent: bool = False,
) -> None:
    """Schedule a retry with backoff, or fail the job for good when its attempts are
    used up (or the error is permanent): error and traceback kept, the handler's
    `on_failed` called in the same transaction, `job_failed` sent after it."""
    now = clock.now()
    message = f"{type(exc).__name__}: {exc}"
    final = permanent or handler is None or job.attempts >= job.max_attempts
    wait = (
        timedelta(seconds=exc.seconds)
        if isinstance(exc, RetryLater)
        else retry_delay(handler, job.attempts)
        if handler is not None
        else None
    )
    retry_at = None if final else now + wait
    entry = {"attempt": job.attempts, "error": message, "at": now, "retryAt": retry_at}
    fields = {
        "error_message": message,
        "traceback": "".join(traceback.format_exception(exc)),
        "error_history": [*job.error_history, entry],
        "lease_expires_at": None,
    }
    if final:
        fields.update(status=JobStatus.FAILED, completed_at=now)
    else:
        fields.update(status=JobStatus.RETRYING, scheduled_for=retry_at)
    telemetry.count_job(job.job_type, "failed" if final else "retried")
    with transaction.atomic():
        updated = Job.objects.filter(id=job.id, locked_by=worker, status=JobStatus.PROCESSING)
        updated = updated.update(**fields)
        if updated and final:
            job.status, job.error_message = JobStatus.FAILED, message
            _notify_failed(job, message)
    if not updated:
        logger.warning(
            "job %s was no longer held by %s when it failed: %s", job.id, worker, message
        )


def _notify_failed(job: Job, message: str) -> None:
    handler = find_handler(job.job_type)
    if handler is not None and handler.on_failed is not None:
        handler.on_failed(job)
    record_audit(
        action="job.failed",
        target=job,
        changes={"attempts": job.attempts, "error": message},
        actor=Actor.system("jobs.worker"),
    )
    transaction.on_commit(lambda: job_failed.send(sender=Job, job=job))


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
    wake_on_commit(sum(1 for job in requeued_due if job.scheduled_for <= now))
    enqueue_many(lost)


def report_progress(job: Job, *, done: int, total: int, **extra: Any) -> None:
    """Record how far a long handler is (`{"done", "total", ...}`), visible at once in
    the API and the admin: its own small UPDATE, committed outside the handler's work."""
    job.progress = {"done": done, "total": total, **extra}
    Job.objects.filter(pk=job.pk).update(progress=job.progress)


def lost_workers(now: datetime) -> list[str]:
    """Celery nodes whose heartbeat stopped WORKER_LOST_AFTER seconds ago (killed, or
    their machine gone): the jobs they hold need not wait out their lease."""
    cutoff = now - timedelta(seconds=settings.WORKER_LOST_AFTER)
    stale = Q(last_seen_at__lt=cutoff) | Q(stopped_at__isnull=False)
    return list(WorkerHeartbeat.objects.filter(stale).values_list("hostname", flat=True))


def rescue_expired_jobs() -> int:
    """Put back jobs whose worker stopped renewing their lease (it died or hung), or whose
    worker's heartbeat stopped (killed: rescued within ~1.5 heartbeat intervals rather
    than at the end of a lease sized for the handler's time limit).

    The lost run counts as an attempt: a job with attempts left is `retrying` and due
    now; one without fails with a clear error and a failure notification.
    """
    now = clock.now()
    message = "worker lost: its lease expired (or its heartbeat stopped) while the job ran"
    lost = Q(lease_expires_at__lt=now)
    for node in lost_workers(now):
        lost |= Q(locked_by__startswith=f"{node}/")
    with transaction.atomic():
        expired = list(
            Job.objects.filter(lost, status=JobStatus.PROCESSING)
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


# --- by hand ----------------------------------------------------------------------------


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
    wake_on_commit(1)
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
