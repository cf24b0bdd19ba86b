"""The bus's delivery side: stored events become `bus.deliver` jobs, and those jobs hand
them to every registered consumer (`benchbarrier.events`).

`queue_delivery` runs in the transaction that stores the events, so the job exists if
and only if the events committed. The job names its events by id; a batch handler
delivers all the jobs a worker claimed together (one load, one call per consumer), and
falls back to one job at a time for a consumer that fails, so one poisoned batch holds
up only itself.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings

from analytics.models import Event
from benchbarrier.events import BusEvent, Consumer, anyone_wants, consumers, deliver
from jobs.models import Job
from jobs.services import JobSpec, enqueue_many

logger = logging.getLogger(__name__)
DELIVER = "bus.deliver"
# Events per delivery job; ingestion batches are at most 1,000 events.
EVENTS_PER_JOB = 1000
# Ids per query when loading a claim batch's events.
_LOAD_CHUNK = 5000


class ConsumerFailed(Exception):
    """A consumer raised on a batch; the job retries (consumers that succeeded skip)."""


def queue_delivery(stored: list[BusEvent]) -> None:
    """Queue the delivery of freshly stored events (in the storing transaction)."""
    if not stored or not anyone_wants({e.event_name for e in stored}):
        return
    enqueue_many(
        [
            JobSpec(
                DELIVER,
                {"eventIds": [e.id for e in stored[start : start + EVENTS_PER_JOB]]},
                priority=settings.BUS_DELIVERY_PRIORITY,
            )
            for start in range(0, len(stored), EVENTS_PER_JOB)
        ]
    )


def deliver_jobs(jobs: list[Job]) -> dict[Any, Exception]:
    """Deliver the events of claimed `bus.deliver` jobs to every consumer; returns
    {job id: error} for the jobs some consumer failed on (they retry)."""
    events = _load({i for job in jobs for i in job.payload["eventIds"]})
    batches = {
        str(job.id): [events[i] for i in job.payload["eventIds"] if i in events] for job in jobs
    }
    failures: dict[Any, Exception] = {}
    for target in consumers():
        for key, exc in _deliver_isolated(target, batches).items():
            failures.setdefault(_job_id(jobs, key), exc)
    return failures


def _deliver_isolated(
    target: Consumer, batches: dict[str, list[BusEvent]]
) -> dict[str, Exception]:
    """All batches in one call; if that fails, each on its own, to find the bad one."""
    try:
        deliver(target, batches)
        return {}
    except Exception as exc:
        if len(batches) == 1:
            return {key: _failure(target, exc) for key in batches}
    failed = {}
    for key, events in batches.items():
        try:
            deliver(target, {key: events})
        except Exception as exc:
            failed[key] = _failure(target, exc)
    return failed


def _failure(target: Consumer, exc: Exception) -> ConsumerFailed:
    logger.warning("event consumer %s failed: %s", target.name, exc, exc_info=exc)
    error = ConsumerFailed(f"consumer {target.name}: {type(exc).__name__}: {exc}")
    error.__cause__ = exc
    return error


def _job_id(jobs: list[Job], key: str) -> Any:
    return next(job.id for job in jobs if str(job.id) == key)


def _load(ids: set[int]) -> dict[int, BusEvent]:
    found: dict[int, BusEvent] = {}
    ordered = sorted(ids)
    for start in range(0, len(ordered), _LOAD_CHUNK):
        rows = Event.objects.filter(id__in=ordered[start : start + _LOAD_CHUNK]).values_list(
            "id", "event_name", "user_id", "session_id", "message_id", "timestamp", "properties"
        )
        for row in rows:
            found[row[0]] = BusEvent(*row)
    return found
