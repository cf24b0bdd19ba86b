"""Celery-beat entry points of marketing: they queue jobs, the queue does the work."""

from __future__ import annotations

from celery import shared_task

from benchbarrier import clock
from jobs.services import enqueue
from marketing.services.segments import queue_due_refreshes


@shared_task(name="marketing.refresh_segments", ignore_result=True)
def refresh_segments() -> int:
    return queue_due_refreshes()


@shared_task(name="marketing.refresh_campaign_metrics", ignore_result=True)
def refresh_campaign_metrics() -> str:
    """Queue the refresh of live campaigns' figures (once per five minutes at most)."""
    minute = clock.now().strftime("%Y%m%dT%H%M")[:-1]
    job, _ = enqueue(job_type="campaign.metrics", idempotency_key=f"campaign.metrics:{minute}")
    return str(job.pk)


@shared_task(name="marketing.pull_social_engagement", ignore_result=True)
def pull_social_engagement() -> str:
    """Queue the pull of recent posts' engagement (once an hour at most)."""
    hour = clock.now().strftime("%Y%m%dT%H")
    job, _ = enqueue(job_type="social.engagement", idempotency_key=f"social.engagement:{hour}")
    return str(job.pk)
