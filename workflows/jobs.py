"""Job handlers of the workflow engine."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings

from jobs.models import Job
from jobs.registry import job_handler
from workflows.engine import advance_many
from workflows.runs import ADVANCE, on_advance_failed


@job_handler(
    ADVANCE,
    max_attempts=3,
    retry_delay=timedelta(seconds=30),
    timeout=timedelta(seconds=settings.WORKFLOW_STEP_TIMEOUT_SECONDS),
    batch=True,
    on_failed=on_advance_failed,
    schema={
        "type": "object",
        "properties": {"executionId": {"type": "integer"}, "token": {"type": "integer"}},
        "required": ["executionId", "token"],
        "additionalProperties": False,
    },
)
def advance(jobs: list[Job]) -> dict[Any, Exception]:
    """Run the next step of each claimed execution (a stale job does nothing)."""
    return advance_many(jobs)
