"""Job handlers of analytics."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from analytics.bus import DELIVER, deliver_jobs
from jobs.models import Job
from jobs.registry import job_handler


@job_handler(
    DELIVER,
    max_attempts=10,
    retry_delay=timedelta(seconds=5),
    timeout=timedelta(seconds=120),
    batch=True,
    schema={
        "type": "object",
        "properties": {
            "eventIds": {"type": "array", "items": {"type": "integer"}, "maxItems": 1000}
        },
        "required": ["eventIds"],
        "additionalProperties": False,
    },
)
def deliver_events(jobs: list[Job]) -> dict[Any, Exception]:
    """Hand stored events to every event consumer (each takes a batch once)."""
    return deliver_jobs(jobs)
