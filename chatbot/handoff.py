"""A person takes over: bot → waiting for a person → with a person → resolved (→ the bot's
again on the customer's next message). Escalating tells the agents at once
(`chatbot.notify_agents`: email to CHATBOT_AGENT_EMAILS, else the staff; a Slack-compatible
webhook when CHATBOT_AGENT_WEBHOOK_URL is set), and when nobody has taken the
conversation CHATBOT_AGENT_WAIT_MINUTES later the customer is told when to expect a reply
(`chatbot.wait_notice`). An agent's reply goes out on the conversation's channel; on
WhatsApp a free-form reply is refused outside the 24 hours after the customer's last
message (only an approved template may be sent then).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction

from benchbarrier import clock, telemetry
from benchbarrier.mailer import staff_addresses
from benchbarrier.services.audit import Actor, record_audit
from chatbot.models import BotConversation, BotMessage, Channel, ConversationStatus, Sender
from jobs.services import enqueue

HANDING_OVER = "I'm bringing in a person from our team; they will answer here shortly."
WAIT_NOTICE = ("Our team is busy right now. A person will answer here {when}; you can close "
               "this chat and come back, nothing is lost.")  # fmt: skip
WHATSAPP_WINDOW = timedelta(hours=24)
BOT = Actor.system("chatbot")


class ReplyRefused(ValueError):
    """The reply cannot go out (empty, or outside WhatsApp's 24-hour window)."""


def escalate(conversation: BotConversation, why: str) -> None:
    """Hand the conversation to a person (inside the caller's transaction)."""
    now = clock.now()
    conversation.status, conversation.escalated_at = ConversationStatus.ESCALATED, now
    conversation.assigned_to = None
    conversation.metadata["escalated"] = {"why": why, "at": now.isoformat()}
    conversation.save(update_fields=["status", "escalated_at", "assigned_to", "metadata"])
    payload = {"conversationId": str(conversation.pk), "escalatedAt": now.isoformat()}
    mark = f"{conversation.pk}:{now.isoformat()}"
    enqueue(job_type="chatbot.notify_agents", payload=payload,
            idempotency_key=f"chatbot.notify_agents:{mark}")  # fmt: skip
    enqueue(job_type="chatbot.wait_notice", payload=payload,
            scheduled_for=now + timedelta(minutes=settings.CHATBOT_AGENT_WAIT_MINUTES),
            idempotency_key=f"chatbot.wait_notice:{mark}")  # fmt: skip
    record_audit(action="chatbot.escalated", target=conversation, changes={"why": why},
                 actor=BOT)  # fmt: skip
    telemetry.BOT.labels(conversation.channel, "handed_over").inc()


def deliver(message: BotMessage) -> None:
    """Send a bot or agent message on its channel (the web site polls for its own)."""
    if message.conversation.channel != Channel.WEB:
        enqueue(job_type="chatbot.send", payload={"messageId": str(message.pk)},
                idempotency_key=f"chatbot.send:{message.pk}")  # fmt: skip


def window_open(conversation: BotConversation) -> bool:
    """Whether a free-form message may go out (always, but on WhatsApp 24 h at most after
    the customer's last message)."""
    if conversation.channel != Channel.WHATSAPP:
        return True
    last = conversation.last_customer_message_at
    return last is not None and clock.now() - last < WHATSAPP_WINDOW


def check_reply(conversation: BotConversation, text: str, template: str) -> None:
    """Raises ReplyRefused, saying what to do, for a reply that cannot go out."""
    if not text and not template:
        raise ReplyRefused("Write a reply (or name an approved WhatsApp template).")
    if template and conversation.channel != Channel.WHATSAPP:
        raise ReplyRefused("Templates are for WhatsApp only; write a reply instead.")
    if text and template:
        raise ReplyRefused("Send either a reply or a template, not both.")
    if not template and not window_open(conversation):
        raise ReplyRefused(
            "WhatsApp allows a free-form reply only within 24 hours of the customer's last "
            "message; send an approved template instead (its name in the template field)."
        )


def agent_reply(conversation: BotConversation, user: Any, text: str, *,
                template: str = "") -> BotMessage:  # fmt: skip
    """An agent's message to the customer; the agent holds the conversation from now."""
    text = (text or "").strip()
    check_reply(conversation, text, template)
    with transaction.atomic():
        held = BotConversation.objects.select_for_update().get(pk=conversation.pk)
        held.status, held.ended_at = ConversationStatus.ESCALATED, None
        held.escalated_at = held.escalated_at or clock.now()
        held.assigned_to = held.assigned_to or user
        held.save(update_fields=["status", "ended_at", "escalated_at", "assigned_to"])
        message = BotMessage.objects.create(
            conversation=held, sender_type=Sender.AGENT, author=user,
            content=text or f"[template {template}]",
            metadata={"template": template} if template else {},
        )  # fmt: skip
        deliver(message)
    return message


def assign(conversation: BotConversation, user: Any) -> None:
    """`user` (None: nobody) takes the conversation; the bot stays silent either way."""
    conversation.status, conversation.assigned_to = ConversationStatus.ESCALATED, user
    conversation.escalated_at = conversation.escalated_at or clock.now()
    conversation.save(update_fields=["status", "assigned_to", "escalated_at"])


def resolve(conversation: BotConversation) -> None:
    conversation.status, conversation.ended_at = ConversationStatus.RESOLVED, clock.now()
    conversation.save(update_fields=["status", "ended_at"])


def waiting_since(conversation: BotConversation, escalated_at: str) -> bool:
    """Whether the conversation still waits for a person since that escalation."""
    return (conversation.status == ConversationStatus.ESCALATED
            and conversation.assigned_to_id is None and conversation.escalated_at is not None
            and conversation.escalated_at.isoformat() == escalated_at)  # fmt: skip


def tell_when_to_expect(conversation: BotConversation, escalated_at: str) -> BotMessage | None:
    """The wait notice, once per escalation, while nobody has taken the conversation."""
    with transaction.atomic():
        held = BotConversation.objects.select_for_update().get(pk=conversation.pk)
        told = held.metadata.get("waitNotice") == escalated_at
        if told or not waiting_since(held, escalated_at) or not window_open(held):
            return None
        held.metadata["waitNotice"] = escalated_at
        held.save(update_fields=["metadata"])
        message = BotMessage.objects.create(
            conversation=held, sender_type=Sender.BOT,
            content=WAIT_NOTICE.format(when=settings.CHATBOT_REPLY_HOURS),
            metadata={"waitNotice": True},
        )  # fmt: skip
        deliver(message)
    return message


def agent_emails() -> list[str]:
    return staff_addresses(settings.CHATBOT_AGENT_EMAILS)
