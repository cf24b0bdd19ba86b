"""Wake-ups: the Celery messages that tell workers there is work. They are hints, not
the truth (the `job_queue` rows are): losing one is harmless because the beat tick
(`dispatch_due_jobs`) wakes workers for every due job, and a duplicate finds nothing
left to claim.

The task is sent by name (`jobs.run`), so this module imports neither the tasks nor
the worker loop.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from celery import current_app
from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)
RUN_TASK = "jobs.run"

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


def wakeups_for(due_count: int) -> int:
    """How many wake-ups `due_count` due jobs deserve: one per claim batch, capped."""
    if due_count <= 0:
        return 0
    return min(math.ceil(due_count / settings.JOBS_CLAIM_BATCH), settings.JOBS_MAX_WAKEUPS)


def wake_workers(count: int) -> None:
    """Send `count` wake-up messages. A broker outage is logged, not raised: the jobs
    are already committed, the caller's request must not fail for it, and the beat tick
    wakes workers for them once the broker is back."""
    try:
        for _ in range(count):
            current_app.send_task(RUN_TASK)
    except Exception:
        logger.warning("could not send %d wake-up(s); the beat tick will", count, exc_info=True)


def wake_on_commit(due_count: int) -> None:
    """Wake workers for `due_count` jobs that are due now, once the current transaction
    commits (at once outside one). A draining worker sends one fewer: it claims the
    first batch itself."""
    count = wakeups_for(due_count) - (1 if _draining.get() and due_count else 0)
    if count:
        transaction.on_commit(lambda: wake_workers(count))


def dispatch_due_jobs(due_count: int) -> int:
    """Wake workers for `due_count` due jobs now (the beat tick); returns wake-ups sent."""
    count = wakeups_for(due_count)
    wake_workers(count)
    return count
