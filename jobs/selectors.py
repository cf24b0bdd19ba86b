"""Queue statistics for the admin, `jobs_stats` and the metrics endpoint."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Aggregate, Count, DurationField, F, Min, Q

from benchbarrier import clock
from jobs.models import Job, JobStatus


@dataclass
class QueueStats:
    window: timedelta
    by_status: dict[str, int]
    by_type: dict[str, dict[str, int]]
    completed: int
    failed: int
    success_rate: float | None
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None


class _Percentiles(Aggregate):
    """PostgreSQL's ordered-set aggregate: p50, p95 and p99 in one pass."""

    function = "percentile_cont"
    template = "%(function)s(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY %(expressions)s)"


def _percentiles(since: object) -> tuple[float | None, float | None, float | None]:
    """Processing time (started → completed) of jobs completed since `since`."""
    finished = Job.objects.filter(status=JobStatus.COMPLETED, completed_at__gte=since)
    if connection.vendor == "postgresql":
        from django.contrib.postgres.fields import ArrayField

        found = finished.aggregate(
            p=_Percentiles(
                F("completed_at") - F("started_at"), output_field=ArrayField(DurationField())
            )
        )["p"]
        if not found:
            return None, None, None
        return tuple(value.total_seconds() * 1000 for value in found)
    durations = sorted(
        (done - start).total_seconds() * 1000
        for start, done in finished.values_list("started_at", "completed_at")
        if start and done
    )
    if not durations:
        return None, None, None

    def pick(q: float) -> float:
        return durations[min(len(durations) - 1, int(q * len(durations)))]

    return pick(0.5), pick(0.95), pick(0.99)


def queue_stats(*, window: timedelta = timedelta(hours=1)) -> QueueStats:
    """Counts by status and type now; success rate and processing-time percentiles of
    the jobs that finished within `window`."""
    since = clock.now() - window
    by_status = {s.value: 0 for s in JobStatus}
    by_type: dict[str, dict[str, int]] = {}
    rows = Job.objects.values_list("job_type", "status").annotate(n=Count("id")).order_by()
    for job_type, status, n in rows:
        by_status[status] += n
        by_type.setdefault(job_type, {})[status] = n
    finished = dict(
        Job.objects.filter(
            completed_at__gte=since, status__in=[JobStatus.COMPLETED, JobStatus.FAILED]
        )
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    completed, failed = finished.get(JobStatus.COMPLETED, 0), finished.get(JobStatus.FAILED, 0)
    p50, p95, p99 = _percentiles(since)
    return QueueStats(
        window=window,
        by_status=by_status,
        by_type=by_type,
        completed=completed,
        failed=failed,
        success_rate=completed / (completed + failed) if completed + failed else None,
        p50_ms=p50,
        p95_ms=p95,
        p99_ms=p99,
    )


@dataclass(frozen=True)
class QueueNow:
    due: int  # waiting and due now
    later: int  # waiting, due later (delays, waits, retries)
    running: int
    failed_24h: int
    oldest_due_seconds: float | None


def queue_now(now: datetime | None = None) -> QueueNow:
    """The queue at a glance, in two small queries (the waiting part of the table is
    small: the claim index holds only it)."""
    now = now or clock.now()
    waiting = Job.objects.filter(status__in=[JobStatus.PENDING, JobStatus.RETRYING])
    counts = waiting.aggregate(
        due=Count("id", filter=Q(scheduled_for__lte=now)),
        later=Count("id", filter=Q(scheduled_for__gt=now)),
        oldest=Min("scheduled_for", filter=Q(scheduled_for__lte=now)),
    )
    others = Job.objects.filter(
        Q(status=JobStatus.PROCESSING)
        | Q(status=JobStatus.FAILED, completed_at__gte=now - timedelta(hours=24))
    ).aggregate(
        running=Count("id", filter=Q(status=JobStatus.PROCESSING)),
        failed=Count("id", filter=Q(status=JobStatus.FAILED)),
    )
    oldest = counts["oldest"]
    return QueueNow(
        counts["due"], counts["later"], others["running"], others["failed"],
        (now - oldest).total_seconds() if oldest else None,
    )  # fmt: skip
