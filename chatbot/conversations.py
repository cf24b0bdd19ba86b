"""Conversations on the web channel: a visitor starts one (the site's API key, and a token
for that visitor's conversation, returned once and kept only as a hash), writes, and gets
the bot's answer at once: the message stored with the intent and confidence read, then
the intent's response. Out of scope, the bot asks to rephrase; a second fallback in a row,
or asking for a person (an intent whose actions include `handoff`), escalates the
conversation, and the bot stays silent while a person holds it.

Actions: `handoff`, and the order status (`chatbot.orders`: the number asked for, the
order described only to its customer). The Meta channels and the agent inbox come next.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.db import transaction

from benchbarrier import clock
from chatbot import classifier, orders
from chatbot.models import BotConversation, BotIntent, BotMessage, ConversationStatus, Sender

REPHRASE = "Sorry, I didn't catch that. Could you say it another way?"
HANDING_OVER = "I'm bringing in a person from our team; they will answer here shortly."
MAX_TEXT = 2000


class ConversationError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


@dataclass(frozen=True)
class Started:
    conversation: BotConversation
    token: str  # shown once: the visitor's key to this conversation


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(*, user_id: str = "", channel: str = "web") -> Started:
    token = secrets.token_urlsafe(24)
    conversation = BotConversation.objects.create(
        user_id=user_id, channel=channel, metadata={"tokenHash": _hash(token)}
    )
    return Started(conversation, token)


def holds(conversation: BotConversation, token: str) -> bool:
    """Whether `token` is this conversation's (compared in constant time)."""
    expected = str(conversation.metadata.get("tokenHash", ""))
    return bool(token) and hmac.compare_digest(expected, _hash(token))


def reply_to(conversation: BotConversation, text: str) -> tuple[BotMessage, list[BotMessage]]:
    """Store the visitor's message, read as an intent, and the bot's replies (none while a
    person holds the conversation)."""
    text = (text or "").strip()
    if not text:
        raise ConversationError("content", "write a message")
    if len(text) > MAX_TEXT:
        raise ConversationError("content", f"at most {MAX_TEXT} characters")
    reading = classifier.classify(text)
    with transaction.atomic():
        conversation = BotConversation.objects.select_for_update().get(pk=conversation.pk)
        if conversation.status == ConversationStatus.RESOLVED:
            conversation.status, conversation.ended_at = ConversationStatus.ACTIVE, None
            conversation.save(update_fields=["status", "ended_at"])
        message = BotMessage.objects.create(
            conversation=conversation, sender_type=Sender.USER, content=text,
            intent=reading.intent if reading else "",
            confidence=round(reading.confidence, 2) if reading else None,
            metadata={"best": reading.best, "runnerUp": reading.runner_up,
                      "margin": reading.margin} if reading else {},
        )  # fmt: skip
        if conversation.status == ConversationStatus.ESCALATED:
            return message, []  # a person holds it: the bot stays silent
        return message, [_answer(conversation, reading, text)]


def _actions(intent: BotIntent | None) -> set[str]:
    return {str(a.get("type")) for a in (intent.actions if intent else []) if isinstance(a, dict)}


def _answer(conversation: BotConversation, reading: classifier.Reading | None,
            text: str) -> BotMessage:  # fmt: skip
    intent = None
    if reading is not None and reading.intent != classifier.FALLBACK:
        intent = BotIntent.objects.filter(name=reading.intent).first()
    actions = _actions(intent)
    if orders.awaiting(conversation):  # an order number, or the email on the order
        if orders.given(conversation, text) or intent is None:
            said = orders.answer(conversation, text)
            conversation.save(update_fields=["metadata"])
            return _say(conversation, said, {"action": "lookup_order_status"})
        conversation.metadata.pop("awaiting", None)  # they moved on to something else
    if intent is None:
        fallbacks = conversation.metadata.get("fallbacksInARow", 0) + 1
        conversation.metadata["fallbacksInARow"] = fallbacks
        if fallbacks >= 2:
            return _escalate(conversation, "two fallbacks in a row")
        conversation.save(update_fields=["metadata"])
        return _say(conversation, REPHRASE, {"fallback": True})
    conversation.metadata["fallbacksInARow"] = 0
    if "handoff" in actions:
        return _escalate(conversation, "asked for a person")
    if "request_order_number" in actions:
        orders.ask_for_number(conversation)
    if "resolve" in actions:  # thanks, goodbye: the bot's work is done
        conversation.status, conversation.ended_at = ConversationStatus.RESOLVED, clock.now()
    conversation.save(update_fields=["metadata", "status", "ended_at"])
    responses = intent.responses or [REPHRASE]
    count = conversation.messages.filter(sender_type=Sender.BOT).count()
    return _say(conversation, responses[count % len(responses)], {"intent": intent.name})


def _escalate(conversation: BotConversation, why: str) -> BotMessage:
    conversation.status = ConversationStatus.ESCALATED
    conversation.metadata["escalated"] = {"why": why, "at": clock.now().isoformat()}
    conversation.save(update_fields=["status", "metadata"])
    return _say(conversation, HANDING_OVER, {"handoff": why})


def _say(conversation: BotConversation, text: str, metadata: dict) -> BotMessage:
    return BotMessage.objects.create(
        conversation=conversation, sender_type=Sender.BOT, content=text, metadata=metadata
    )
