"""Job handlers of campaigns (loaded by marketing/jobs.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings

from jobs.models import Job
from jobs.registry import job_handler
from marketing.campaigns import metrics, sending, services

CAMPAIGN = {
    "type": "object",
    "properties": {"campaignId": {"type": "integer"}},
    "required": ["campaignId"],
    "additionalProperties": False,
}


@job_handler(services.LAUNCH, max_attempts=5, timeout=timedelta(minutes=10), schema=CAMPAIGN)
def launch(job: Job) -> dict[str, Any]:
    """Freeze a broadcast's audience at its send time and start its senders."""
    return services.start_sending(job.payload["campaignId"])


@job_handler(
    sending.SEND,
    max_attempts=5,
    retry_delay=timedelta(seconds=10),
    timeout=timedelta(seconds=settings.CAMPAIGN_SEND_TIMEOUT_SECONDS),
    batch=True,
    per_claim=1,  # each sender keeps a worker busy: one per claim spreads them out
    schema=CAMPAIGN,
)
def send(jobs: list[Job]) -> dict[Any, Exception]:
    """Send a chunk of each claimed campaign, then carry on with the next."""
    return sending.send_chunks(jobs)


@job_handler(services.DECIDE, max_attempts=3, timeout=timedelta(minutes=5), schema=CAMPAIGN)
def decide(job: Job) -> dict[str, Any]:
    """Decide an A/B test at its deadline and send the winner to the rest."""
    return services.apply_decision(job.payload["campaignId"])


@job_handler(
    "campaign.metrics",
    max_attempts=2,
    timeout=timedelta(minutes=5),
    schema={"type": "object", "additionalProperties": False},
)
def refresh_metrics(job: Job) -> dict[str, Any]:
    """Recount the figures of campaigns sending, testing, active or recently sent."""
    return {"campaigns": metrics.refresh_live()}
