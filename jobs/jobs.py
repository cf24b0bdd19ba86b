"""Job handlers owned by the queue itself, and the evaluation of the kernel's alert rules
(a job, so that evaluations never overlap and a missed one shows in the queue)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from benchbarrier.services.alerts import evaluate_all
from jobs.models import Job
from jobs.registry import job_handler


@job_handler("jobs.noop")  # the default attempts: a crash mid-run runs it again
def noop(job: Job) -> None:
    """Does nothing: for checking the queue end to end and for the benchmark."""


@job_handler("alerts.evaluate", max_attempts=1, timeout=timedelta(seconds=50),
             schema={"type": "object", "additionalProperties": False})  # fmt: skip
def evaluate_alerts(job: Job) -> dict[str, Any]:
    """Every alert rule once (beat queues one a minute; two never overlap). Not retried:
    the next minute's evaluation is the retry."""
    outcome = evaluate_all()
    return {"evaluated": outcome.evaluated, "fired": outcome.fired,
            "resolved": outcome.resolved, "notifications": outcome.notifications,
            "skipped": outcome.skipped}  # fmt: skip
