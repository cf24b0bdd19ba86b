"""Job handlers owned by the queue itself."""

from __future__ import annotations

from jobs.models import Job
from jobs.registry import job_handler


@job_handler("jobs.noop", max_attempts=1)
def noop(job: Job) -> None:
    """Does nothing: for checking the queue end to end and for the benchmark."""
