"""Job handlers of the chatbot: training, a Meta channel's message, a message out on its
channel, and the handoff's notice to agents and to a waiting customer. Each may run twice
(a crashed worker's batch) and does its work once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chatbot import classifier, services
from jobs.models import Job
from jobs.registry import PermanentJobError, job_handler

ID = {"type": "string", "minLength": 1, "maxLength": 255}
HANDOFF = {"type": "object", "required": ["conversationId", "escalatedAt"],
           "properties": {"conversationId": ID, "escalatedAt": ID}}  # fmt: skip


@job_handler("chatbot.train", max_attempts=3, timeout=timedelta(minutes=10),
             schema={"type": "object", "additionalProperties": False})  # fmt: skip
def train_intents(job: Job) -> dict[str, Any]:
    """A classifier from the intents as they are now, stored as a new version (the same
    phrases as the newest version: nothing new)."""
    try:
        model = classifier.train()
    except ValueError as exc:
        raise PermanentJobError(str(exc)) from None
    return {"version": model.version, "intents": len(model.intents), "phrases": model.phrases}


@job_handler("chatbot.inbound", max_attempts=5, schema={
    "type": "object", "required": ["channel", "contact", "text", "messageId"],
    "properties": {"channel": ID, "contact": ID, "text": {"type": "string"}, "messageId": ID,
                   "name": {"type": "string"}},
})  # fmt: skip
def inbound_message(job: Job) -> dict[str, Any]:
    """A customer's message from a Meta channel: read and answered (once per message id)."""
    return services.receive_inbound(job.payload)


@job_handler("chatbot.send", max_attempts=8, retry_delay=timedelta(seconds=20), schema={
    "type": "object", "required": ["messageId"], "properties": {"messageId": ID},
})  # fmt: skip
def send_message(job: Job) -> dict[str, Any]:
    """A bot or agent message out through the Graph API (not again once it went)."""
    return services.send_on_channel(job.payload["messageId"])


@job_handler("chatbot.notify_agents", max_attempts=5, schema=HANDOFF)
def notify_agents(job: Job) -> dict[str, Any]:
    """Email the agents and post to the team's webhook: a customer waits for a person."""
    return services.notify_agents(job.payload["conversationId"], job.payload["escalatedAt"])


@job_handler("chatbot.wait_notice", max_attempts=5, schema=HANDOFF)
def wait_notice(job: Job) -> dict[str, Any]:
    """Nobody took the conversation in time: tell the customer when to expect a reply."""
    return services.tell_when_to_expect(job.payload["conversationId"], job.payload["escalatedAt"])
