"""Changing what the bot knows (an intent saved or deleted queues `chatbot.train`, once per
set of phrases), and the work of the bot's jobs: a Meta channel's message answered, a
message sent on its channel, agents told of a handoff, a waiting customer told when to
expect a reply."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.conf import settings
from django.urls import reverse

from benchbarrier import outbound
from benchbarrier.mailer import MailerUnavailable, get_mailer
from chatbot import conversations, handoff, meta
from chatbot.classifier import examples, fingerprint
from chatbot.models import BotConversation, BotIntent, BotMessage, Sender
from jobs.registry import PermanentJobError, RetryLater
from jobs.services import enqueue
from marketing.social import graph

logger = logging.getLogger(__name__)


def retrain() -> None:
    """Queue training for the intents as they are now (a repeat for the same phrases is
    the same job)."""
    mark = fingerprint(*examples())
    enqueue(job_type="chatbot.train", idempotency_key=f"chatbot.train:{mark}")


def save_intent(intent: BotIntent) -> BotIntent:
    intent.save()
    retrain()
    return intent


def delete_intent(intent: BotIntent) -> None:
    intent.delete()
    retrain()


def receive_inbound(payload: dict[str, Any]) -> dict[str, Any]:
    """A Meta channel's message into the customer's conversation there (the newest, or a
    new one), answered; a message id seen before does nothing."""
    mid = payload["messageId"]
    if BotMessage.objects.filter(external_id=mid).exists():
        return {"duplicate": True}
    channel, contact = payload["channel"], payload["contact"]
    conversation = (BotConversation.objects.filter(channel=channel, contact=contact)
                    .order_by("-started_at").first())  # fmt: skip
    if conversation is None:
        conversation = conversations.start(channel=channel, contact=contact).conversation
        if payload.get("name"):
            conversation.metadata["name"] = payload["name"]
            conversation.save(update_fields=["metadata"])
    try:
        message, replies = conversations.reply_to(conversation, payload["text"],
                                                  external_id=mid)  # fmt: skip
    except conversations.ConversationError as exc:
        raise PermanentJobError(f"{exc.field}: {exc}") from None
    if message is None:
        return {"duplicate": True}
    return {"conversationId": str(conversation.pk), "intent": message.intent,
            "replies": len(replies)}  # fmt: skip


def send_on_channel(message_id: str) -> dict[str, Any]:
    """Send the message through the Graph API, once (its platform id marks it sent)."""
    message = BotMessage.objects.select_related("conversation").filter(pk=message_id).first()
    if message is None:
        raise PermanentJobError(f"no bot message {message_id}")
    if message.metadata.get("platformId"):
        return {"alreadySent": message.metadata["platformId"]}
    try:
        platform_id = meta.send(message)
    except graph.NetworkError as exc:
        if exc.retry:
            raise RetryLater(str(exc), seconds=exc.wait_seconds or 30) from None
        message.metadata["sendError"] = str(exc)
        message.save(update_fields=["metadata"])
        raise PermanentJobError(str(exc)) from None
    message.metadata["platformId"] = platform_id or "sent"
    message.save(update_fields=["metadata"])
    return {"platformId": platform_id}


def inbox_link(conversation: BotConversation) -> str:
    path = reverse("admin:chatbot_inboxconversation_change", args=[conversation.pk])
    return f"{settings.SITE_URL}{path}"


def notify_agents(conversation_id: str, escalated_at: str) -> dict[str, Any]:
    """Tell the agents a customer waits (once per escalation and address)."""
    conversation = BotConversation.objects.filter(pk=conversation_id).first()
    if conversation is None or not handoff.waiting_since(conversation, escalated_at):
        return {"skipped": "no longer waiting for a person"}
    why = str(conversation.metadata.get("escalated", {}).get("why", "escalated"))
    last = (conversation.messages.filter(sender_type=Sender.USER)
            .order_by("-created_at").values_list("content", flat=True).first())  # fmt: skip
    variables = {
        "conversation": {
            "channel": conversation.get_channel_display(),
            "why": why,
            "last": last or "",
            "link": inbox_link(conversation),
        }
    }
    emailed = []
    for address in handoff.agent_emails():
        try:
            get_mailer().send(
                to=address,
                template="chatbot-handoff",
                variables=variables,
                attachments=[],
                source="chatbot",
                key=f"chatbot.handoff:{conversation_id}:{escalated_at}:{address}",
            )
        except MailerUnavailable as exc:
            logger.warning("handoff email to %s not sent: %s", address, exc)
            continue
        emailed.append(address)
    posted = _post_to_team(conversation, escalated_at, variables["conversation"])
    return {"emailed": len(emailed), "webhook": posted}


def _post_to_team(conversation: BotConversation, escalated_at: str, about: dict) -> bool:
    url = settings.CHATBOT_AGENT_WEBHOOK_URL
    if not url or conversation.metadata.get("teamNotified") == escalated_at:
        return False
    text = (f"A customer is waiting for a person on {about['channel']} ({about['why']}): "
            f"{about['last'][:200]!r}. Answer: {about['link']}")  # fmt: skip
    try:
        outbound.post(url, json.dumps({"text": text}).encode(),
                      {"Content-Type": "application/json"},
                      allowed_hosts=settings.CHATBOT_AGENT_WEBHOOK_ALLOWED_HOSTS)  # fmt: skip
    except outbound.BlockedAddress as exc:
        raise PermanentJobError(str(exc)) from None  # other failures: retried with backoff
    conversation.metadata["teamNotified"] = escalated_at
    conversation.save(update_fields=["metadata"])
    return True


def tell_when_to_expect(conversation_id: str, escalated_at: str) -> dict[str, Any]:
    conversation = BotConversation.objects.filter(pk=conversation_id).first()
    told = conversation and handoff.tell_when_to_expect(conversation, escalated_at)
    return {"told": bool(told)}
