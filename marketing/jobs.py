"""Job handlers of marketing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from jobs.models import Job
from jobs.registry import PermanentJobError, job_handler
from marketing import channels
from marketing.email.sending import SendFailed, deliver_many
from marketing.email.services import Message, message_errors, record_messages
from marketing.models import EmailDelivery, Segment
from marketing.services.segments import refresh_segment
from marketing.social import services as social


@job_handler(
    "segment.refresh",
    max_attempts=3,
    timeout=timedelta(minutes=10),
    schema={
        "type": "object",
        "properties": {"segmentId": {"type": "integer"}},
        "required": ["segmentId"],
        "additionalProperties": False,
    },
)
def refresh(job: Job) -> dict[str, Any]:
    """Recompute one dynamic segment's members (queued on save and by celery-beat)."""
    segment = Segment.objects.filter(pk=job.payload["segmentId"]).first()
    if segment is None:
        raise PermanentJobError(f"segment {job.payload['segmentId']} no longer exists")
    result = refresh_segment(segment=segment)
    return {
        "joined": result.joined,
        "left": result.left,
        "memberCount": result.member_count,
        "durationMs": result.duration_ms,
    }


EMAIL_SEND_SCHEMA = {
    "oneOf": [
        {
            "type": "object",
            "properties": {"deliveryId": {"type": "integer"}},
            "required": ["deliveryId"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "description": "The seed's form: an email to queue through the same path.",
            "properties": {
                "to": {"type": "string", "minLength": 3, "maxLength": 254},
                "template": {"type": "string", "minLength": 1},
                "variables": {"type": "object"},
            },
            "required": ["to", "template"],
            "additionalProperties": False,
        },
    ]
}


@job_handler(
    "email.send",
    max_attempts=3,
    retry_delay=timedelta(minutes=1),
    timeout=timedelta(seconds=120),
    batch=True,
    schema=EMAIL_SEND_SCHEMA,
    validate=message_errors,
)
def send_emails(jobs: list[Job]) -> dict[Any, Exception]:
    """Send the claimed deliveries together (consent, suppression, smart sending and
    quiet hours first; a delivery already handled is left alone). The outcome of each
    is on its delivery row. A job in the seed's form (`to`, `template`, `variables`)
    first records its delivery (once, keyed by the job), then goes the same way."""
    messages = [
        Message(f"email.send:job:{job.id}", job.payload["to"], job.payload["template"],
                job.payload.get("variables") or {})
        for job in jobs if "to" in job.payload
    ]  # fmt: skip
    job_of = {job.payload["deliveryId"]: job for job in jobs if "deliveryId" in job.payload}
    seed_jobs = [job for job in jobs if "to" in job.payload]
    for job, delivery in zip(seed_jobs, record_messages(messages), strict=True):
        job_of[delivery.pk] = job
        job.result = {"deliveryId": delivery.pk}
    failures = deliver_many(list(job_of))
    return {
        job_of[delivery_id].id: PermanentJobError(str(exc))
        if isinstance(exc, SendFailed | EmailDelivery.DoesNotExist)
        else exc
        for delivery_id, exc in failures.items()
    }


from marketing.campaigns import jobs as campaign_jobs  # noqa: E402, F401  (registers them)


def _message_sender(job_type: str, deliver: Any) -> None:
    """The `sms.send` / `push.send` job: the claimed messages sent together; each one's
    outcome is on its row, and a provider's temporary refusal (429, 5xx, no connection)
    retries its job."""

    @job_handler(
        job_type,
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
    def send(jobs: list[Job]) -> dict[Any, Exception]:
        job_of = {job.payload["messageId"]: job for job in jobs}
        failures = deliver(list(job_of))
        return {job_of[message_id].id: error for message_id, error in failures.items()}


for _name in ("sms", "push"):
    _message_sender(channels.get(_name).job_type, channels.get(_name).send)


@job_handler(
    "social.post",
    max_attempts=5,
    retry_delay=timedelta(minutes=1),
    timeout=timedelta(seconds=90),
    schema={
        "type": "object",
        "properties": {"postId": {"type": "integer"}},
        "required": ["postId"],
        "additionalProperties": False,
    },
)
def post_to_social(job: Job) -> dict[str, Any]:
    """Publish one approved post when it is due (the seed's `social.post`)."""
    return social.publish(job.payload["postId"])


@job_handler("social.engagement", max_attempts=2, timeout=timedelta(minutes=5))
def pull_social_engagement(job: Job) -> dict[str, Any]:
    """Likes, comments and shares of recent posts, as `social.engagement` events."""
    return social.pull_engagement()
