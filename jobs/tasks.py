"""Celery tasks of the queue. They are wake-ups and clock ticks, not the work itself:
the job rows are the truth, so a lost or duplicated message changes nothing."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from benchbarrier import clock
from jobs import runner, services, wakeups


@shared_task(name=wakeups.RUN_TASK, ignore_result=True, acks_late=False)
def run_jobs() -> int:
    return runner.drain()


@shared_task(name="jobs.tick", ignore_result=True, acks_late=False)
def tick() -> int:
    """Rescue jobs of dead workers, then wake workers for every due job (scheduled ones
    whose time came, retries, jobs whose wake-up was lost)."""
    services.rescue_expired_jobs()
    cap = settings.JOBS_CLAIM_BATCH * settings.JOBS_MAX_WAKEUPS
    return wakeups.dispatch_due_jobs(services.due_jobs().values("id")[:cap].count())


@shared_task(name="jobs.prune", ignore_result=True)
def prune() -> int:
    return services.prune_completed_jobs()


@shared_task(name="alerts.evaluate", ignore_result=True)
def evaluate_alerts() -> None:
    """Queue this minute's evaluation of the alert rules (once per minute however often
    beat fires; the job does the work)."""
    minute = clock.now().replace(second=0, microsecond=0).isoformat()
    services.enqueue(job_type="alerts.evaluate", priority=20,
                     idempotency_key=f"alerts.evaluate:{minute}")  # fmt: skip


@shared_task(name="privacy.prune", ignore_result=True)
def prune_personal_data() -> None:
    """Queue today's retention pass (once a day however often beat fires)."""
    today = clock.now().date().isoformat()
    services.enqueue(job_type="privacy.prune", priority=-10,
                     idempotency_key=f"privacy.prune:{today}")  # fmt: skip
