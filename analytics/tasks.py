"""Celery-beat entry points of analytics (autodiscovered): each report's schedule, and the
daily GA4 pull when GA4 is configured."""

from __future__ import annotations

from celery import shared_task

from analytics import ga4
from analytics.report_schedules import generate_report
from benchbarrier import clock
from jobs.services import enqueue

__all__ = ["generate_report", "sync_ga4"]


@shared_task(name="analytics.sync_ga4", ignore_result=True)
def sync_ga4() -> str:
    """Queue the day's GA4 pull (once a day; nothing without GA4_PROPERTY_ID)."""
    if not ga4.configured():
        return "GA4 is not configured"
    day = clock.now().date().isoformat()
    job, _ = enqueue(job_type="analytics.sync", payload={"platform": "ga4"},
                     idempotency_key=f"analytics.sync:ga4:{day}")  # fmt: skip
    return str(job.pk)
