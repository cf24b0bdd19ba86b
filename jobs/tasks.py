"""Celery tasks of the queue. They are wake-ups and clock ticks, not the work itself:
the job rows are the truth, so a lost or duplicated message changes nothing."""

from __future__ import annotations

from celery import shared_task

from jobs import runner, services


@shared_task(name="jobs.run", ignore_result=True, acks_late=False)
def run_jobs() -> int:
    return runner.drain()


@shared_task(name="jobs.tick", ignore_result=True, acks_late=False)
def tick() -> int:
    runner.rescue_expired_jobs()
    return runner.dispatch_due_jobs()


@shared_task(name="jobs.prune", ignore_result=True)
def prune() -> int:
    return services.prune_completed_jobs()
