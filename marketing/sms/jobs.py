"""The `sms.send` job: the claimed messages sent together."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from jobs.models import Job
from jobs.registry import job_handler
from marketing.sms.sending import deliver_sms


@job_handler(
    "sms.send",
    max_attempts=5,
    retry_delay=timedelta(minutes=1),
    timeout=timedelta(seconds=120),
    batch=True,
    schema={
        "type": "object",
        "properties": {"messageId": {"type": "integer"}},
        "required": ["messageId"],
        "additionalProperties": False,
    },
)
def send_sms(jobs: list[Job]) -> dict[Any, Exception]:
    """Each message's outcome is on its row; a provider's temporary refusal (429, 5xx,
    no connection) retries the job."""
    job_of = {job.payload["messageId"]: job for job in jobs}
    failures = deliver_sms(list(job_of))
    return {job_of[message_id].id: error for message_id, error in failures.items()}
