"""What monitoring reads from the queue: depth and the oldest due job's age per type (one
query, for /metrics and the operations page), the alert signals of the seed's queue
backup and job failure rate and of jobs failed for good (its `notifyJobFailure`), and
the operations page's queue and throughput panels."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Min, Q
from django.db.models.functions import TruncHour
from django.http import HttpRequest
from django.urls import reverse

from benchbarrier import clock
from benchbarrier.alert_signals import Measurement, Signal, register_signal
from benchbarrier.charts import bar_chart
from benchbarrier.dashboard import Figure, Panel
from benchbarrier.operations import chart_of, operations_panel
from benchbarrier.telemetry import Gauge, register_gauges
from jobs.models import WAITING_STATUSES, Job, JobStatus


def waiting_by_type(now: datetime) -> dict[str, tuple[int, float]]:
    """{job type: (due jobs waiting, age in seconds of the oldest)}: one query on the
    claim index (waiting rows only, however many the table holds)."""
    rows = (Job.objects.filter(status__in=WAITING_STATUSES, scheduled_for__lte=now)
            .values("job_type").annotate(n=Count("id"), oldest=Min("scheduled_for")))  # fmt: skip
    return {r["job_type"]: (r["n"], (now - r["oldest"]).total_seconds()) for r in rows}


@register_gauges
def queue_gauges() -> list[Gauge]:
    waiting = waiting_by_type(clock.now())
    return [
        Gauge("bb_job_queue_depth", "Due jobs waiting, per type.", ("job_type",),
              [((kind,), n) for kind, (n, _) in waiting.items()]),
        Gauge("bb_job_oldest_due_age_seconds", "Age of the oldest due job, per type.",
              ("job_type",), [((kind,), age) for kind, (_, age) in waiting.items()]),
    ]  # fmt: skip


def _jobs_link(**filters: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in filters.items() if v)
    return f"{reverse('admin:jobs_job_changelist')}?{query}"


def _depth(window: timedelta, now: datetime) -> dict[str, Measurement]:
    return {kind: Measurement(Decimal(n)) for kind, (n, _) in waiting_by_type(now).items()}


def _oldest(window: timedelta, now: datetime) -> dict[str, Measurement]:
    return {kind: Measurement(Decimal(round(age)))
            for kind, (_, age) in waiting_by_type(now).items()}  # fmt: skip


def _backup(window: timedelta, now: datetime) -> dict[str, Measurement]:
    waiting = sorted(waiting_by_type(now).items(), key=lambda item: -item[1][0])
    total = sum(n for _, (n, _) in waiting)
    detail = ", ".join(f"{kind} {n}" for kind, (n, _) in waiting[:5])
    return {"": Measurement(Decimal(total), detail=detail)} if total else {}


def _finished(window: timedelta, now: datetime) -> list[dict]:
    return list(Job.objects.filter(completed_at__gt=now - window, completed_at__lte=now)
                .values("job_type").annotate(
                    failed=Count("id", filter=Q(status=JobStatus.FAILED)),
                    done=Count("id", filter=Q(status=JobStatus.COMPLETED))))  # fmt: skip


def _failure_rate(window: timedelta, now: datetime) -> dict[str, Measurement]:
    found = {}
    for row in _finished(window, now):
        total = row["failed"] + row["done"]
        if total:
            share = Decimal(row["failed"] * 100) / total
            found[row["job_type"]] = Measurement(
                share.quantize(Decimal("0.01")), total, f"{row['failed']} of {total} failed"
            )
    return found


def _failed(window: timedelta, now: datetime) -> dict[str, Measurement]:
    return {row["job_type"]: Measurement(Decimal(row["failed"]), row["failed"])
            for row in _finished(window, now) if row["failed"]}  # fmt: skip


register_signal(Signal(
    "jobs.queue_backup", "Due jobs waiting in the whole queue.", "jobs", _backup,
    lambda group: _jobs_link(status__in="pending,retrying"),
))  # fmt: skip
register_signal(Signal(
    "jobs.queue_depth", "Due jobs waiting, per type.", "jobs", _depth,
    lambda group: _jobs_link(job_type=group, status__in="pending,retrying"), sampled=True,
))  # fmt: skip
register_signal(Signal(
    "jobs.oldest_due_age", "Seconds the oldest due job of a type has waited.", "s", _oldest,
    lambda group: _jobs_link(job_type=group, status__in="pending,retrying"), sampled=True,
))  # fmt: skip
register_signal(Signal(
    "jobs.failure_rate", "Share of the jobs finished in the window that failed for good, "
    "per type.", "%", _failure_rate, lambda group: _jobs_link(job_type=group, status="failed"),
))  # fmt: skip
register_signal(Signal(
    "jobs.failed", "Jobs that failed for good in the window, per type.", "jobs", _failed,
    lambda group: _jobs_link(job_type=group, status="failed"),
))  # fmt: skip


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"


@operations_panel("Queue", order=10)
def queue_panel(request: HttpRequest) -> Panel:
    waiting = sorted(waiting_by_type(clock.now()).items(), key=lambda item: -item[1][0])
    oldest = max((age for _, (_, age) in waiting), default=0.0)
    figures = [
        Figure("due jobs waiting", f"{sum(n for _, (n, _) in waiting):,}",
               _jobs_link(status__in="pending,retrying")),
        Figure("oldest due job", _age(oldest) if waiting else "none", "",
               "bad" if oldest > 600 else "warn" if oldest > 60 else "good"),
        *[Figure(f"{kind} (oldest {_age(age)})", f"{n:,}",
                 _jobs_link(job_type=kind, status__in="pending,retrying"))
          for kind, (n, age) in waiting[:4]],
    ]  # fmt: skip
    return Panel("Queue: due jobs waiting, 24 h", figures=figures,
                 chart=chart_of("jobs.queue_depth", "due jobs waiting, highest each hour"),
                 note="Per type: how many, and how long the oldest has waited.")  # fmt: skip


@operations_panel("Oldest due job", order=11)
def oldest_panel(request: HttpRequest) -> Panel:
    chart = chart_of("jobs.oldest_due_age", "seconds the oldest due job had waited, highest "
                     "each hour", " s", combine="max")  # fmt: skip
    return Panel(
        "Oldest due job's wait, 24 h",
        chart=chart,
        note="A wait that keeps growing: workers are missing or stuck.",
    )


@operations_panel("Throughput", order=20)
def throughput_panel(request: HttpRequest) -> Panel:
    now = clock.now()
    rows = (Job.objects.filter(completed_at__gt=now - timedelta(hours=24), completed_at__lte=now)
            .annotate(hour=TruncHour("completed_at")).values("hour")
            .annotate(done=Count("id", filter=Q(status=JobStatus.COMPLETED)),
                      failed=Count("id", filter=Q(status=JobStatus.FAILED))))  # fmt: skip
    per_hour = {r["hour"]: (r["done"], r["failed"]) for r in rows}
    done, failed = sum(d for d, _ in per_hour.values()), sum(f for _, f in per_hour.values())
    share = failed * 100 / (done + failed) if done + failed else 0.0
    start = now.replace(minute=0, second=0, microsecond=0)
    points = [(f"{(start - timedelta(hours=h)):%H}:00",
               sum(per_hour.get(start - timedelta(hours=h), (0, 0))))
              for h in range(23, -1, -1)]  # fmt: skip
    return Panel("Throughput and failures, 24 h", figures=[
        Figure("jobs finished", f"{done + failed:,}", _jobs_link(status="completed")),
        Figure("failed for good", f"{failed:,}", _jobs_link(status="failed"),
               "bad" if failed else "good"),
        Figure("failure rate", f"{share:.1f}%", _jobs_link(status="failed"),
               "bad" if share > 10 else "warn" if share > 2 else "good"),
    ], chart=bar_chart(points, title="jobs finished per hour", width=330, height=70))  # fmt: skip
