"""Celery-beat entry points of marketing: they queue jobs, the queue does the work."""

from __future__ import annotations

from celery import shared_task

from marketing.services.segments import queue_due_refreshes


@shared_task(name="marketing.refresh_segments", ignore_result=True)
def refresh_segments() -> int:
    return queue_due_refreshes()
