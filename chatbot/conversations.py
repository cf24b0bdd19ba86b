"""A customer's conversation with the bot, on any channel: each message stored with the
intent and confidence read, then answered by the intent's actions (the kernel's action
registry: the order status, the catalogue, a person) or its response. Out of scope, the
AI answers from the shop's FAQ and catalogue when a provider is set (`chatbot.llm`), else
the bot asks to rephrase; a second fallback in a row, asking for a person, or an action
that fails hands the conversation over (`chatbot.handoff`), and the bot stays silent
while it waits for or is held by a person. A resolved conversation is the bot's again on
the customer's next message.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from benchbarrier import clock, telemetry
from benchbarrier.bot_actions import Action, ActionFailed, Reply, Turn, get_action
from chatbot import classifier, handoff, llm
from chatbot.models import BotConversation, BotIntent, BotMessage, ConversationStatus, Sender
from marketing.models import Customer

logger = logging.getLogger(__name__)
REPHRASE = "Sorry, I didn't catch that. Could you say it another way?"
HANDING_OVER = handoff.HANDING_OVER
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


def start(*, user_id: str = "", vouched: bool = False, channel: str = "web",
          contact: str = "") -> Started:  # fmt: skip
    """A new conversation; a user id the site vouched for (`chatbot.identity`) is the
    customer's, and links the shop's customer of that id."""
    token = secrets.token_urlsafe(24)
    customer = Customer.objects.filter(external_id=user_id).first() if vouched else None
    conversation = BotConversation.objects.create(
        user_id=user_id, channel=channel, contact=contact, customer=customer,
        metadata={"tokenHash": _hash(token), "userVouched": vouched},
    )  # fmt: skip
    telemetry.BOT.labels(channel, "started").inc()
    return Started(conversation, token)


def holds(conversation: BotConversation, token: str) -> bool:
    """Whether `token` is this conversation's (compared in constant time)."""
    expected = str(conversation.metadata.get("tokenHash", ""))
    return bool(token) and hmac.compare_digest(expected, _hash(token))


def reply_to(
    conversation: BotConversation, text: str, *, external_id: str = ""
) -> tuple[BotMessage | None, list[BotMessage]]:
    """Store the customer's message, read as an intent, and the bot's replies (none while
    a person holds the conversation). A platform message id seen before: (None, [])."""
    text = (text or "").strip()
    if not text:
        raise ConversationError("content", "write a message")
    if len(text) > MAX_TEXT:
        raise ConversationError("content", f"at most {MAX_TEXT} characters")
    reading = classifier.classify(text)
    try:
        with transaction.atomic():
            return _receive(conversation, text, reading, external_id)
    except IntegrityError:
        if external_id and BotMessage.objects.filter(external_id=external_id).exists():
            return None, []  # the platform delivered it twice
        raise


def _receive(conversation: BotConversation, text: str, reading: classifier.Reading | None,
             external_id: str) -> tuple[BotMessage, list[BotMessage]]:  # fmt: skip
    conversation = BotConversation.objects.select_for_update().get(pk=conversation.pk)
    now = clock.now()
    if conversation.status == ConversationStatus.RESOLVED:
        conversation.status, conversation.ended_at = ConversationStatus.ACTIVE, None
    conversation.last_customer_message_at = now
    conversation.save(update_fields=["status", "ended_at", "last_customer_message_at"])
    message = BotMessage.objects.create(
        conversation=conversation, sender_type=Sender.USER, content=text,
        intent=reading.intent if reading else "", external_id=external_id, created_at=now,
        confidence=round(reading.confidence, 2) if reading else None,
        metadata={"best": reading.best, "runnerUp": reading.runner_up,
                  "margin": reading.margin} if reading else {},
    )  # fmt: skip
    if conversation.status == ConversationStatus.ESCALATED:
        return message, []  # a person is asked for or holds it: the bot stays silent
    intent = None
    if reading is not None and reading.intent != classifier.FALLBACK:
        intent = BotIntent.objects.filter(name=reading.intent).first()
    reply = _answer(conversation, intent, text)
    _link_customer(conversation)
    conversation.save(update_fields=["metadata", "status", "ended_at", "customer"])
    return message, [reply]


def _answer(conversation: BotConversation, intent: BotIntent | None, text: str) -> BotMessage:
    state = conversation.metadata
    user_id = conversation.user_id if state.get("userVouched") else ""  # only if signed
    turn = Turn(text, intent.name if intent else classifier.FALLBACK, user_id,
                conversation.channel, state)  # fmt: skip
    waiting = get_action(str(state.pop("awaiting", "") or ""))
    if _resumes(waiting, intent, turn):
        return _act(conversation, None, [_run(waiting.name, waiting.resume, turn)])
    if intent is None:
        return _fall_back(conversation, text)
    state["fallbacksInARow"] = 0
    return _act(conversation, intent, _run_actions(intent, turn))


def _resumes(waiting: Action | None, intent: BotIntent | None, turn: Turn) -> bool:
    """Whether the message answers what an action waits for (else the customer moved on)."""
    if waiting is None or waiting.resume is None:
        return False
    return intent is None or (waiting.expects is not None and waiting.expects(turn))


def _run_actions(intent: BotIntent, turn: Turn) -> list[Reply]:
    """The intent's actions in order, up to the first that answers, waits or escalates."""
    replies = []
    for spec in intent.actions:
        name = str(spec.get("type", "")) if isinstance(spec, dict) else ""
        action = get_action(name)
        if action is None:
            logger.warning("intent %s names an unknown action %r", intent.name, name)
            continue
        reply = _run(name, action.run, turn)
        if reply is None:
            continue
        replies.append(reply)
        if reply.text or reply.awaiting or reply.escalate:
            break
    return replies


def _run(name: str, step: Callable[[Turn], Reply | None], turn: Turn) -> Reply | None:
    try:
        return step(turn)
    except ActionFailed as exc:
        logger.warning("bot action %s failed: %s", name, exc)
        return Reply(escalate=f"{name} failed: {exc}")


def _act(conversation: BotConversation, intent: BotIntent | None,
         replies: list[Reply | None]) -> BotMessage:  # fmt: skip
    done = [r for r in replies if r is not None]
    escalate = next((r.escalate for r in done if r.escalate), "")
    if escalate:
        return _escalate(conversation, escalate)
    for reply in done:
        if reply.awaiting:
            conversation.metadata["awaiting"] = reply.awaiting
    if any(r.resolve for r in done):  # thanks, goodbye: the bot's work is done
        conversation.status, conversation.ended_at = ConversationStatus.RESOLVED, clock.now()
        telemetry.BOT.labels(conversation.channel, "resolved").inc()
    said = " ".join(r.text for r in done if r.text)
    details = {k: v for r in done for k, v in r.details.items()}
    if said or intent is None:
        return _say(conversation, said or REPHRASE, details)
    responses = intent.responses or [REPHRASE]
    count = conversation.messages.filter(sender_type=Sender.BOT).count()
    return _say(conversation, responses[count % len(responses)], {"intent": intent.name})


def _fall_back(conversation: BotConversation, text: str) -> BotMessage:
    answered = llm.answer(text)
    if answered:
        conversation.metadata["fallbacksInARow"] = 0
        return _say(conversation, answered, {"fallback": True, "answeredBy": "ai"})
    fallbacks = conversation.metadata.get("fallbacksInARow", 0) + 1
    conversation.metadata["fallbacksInARow"] = fallbacks
    if fallbacks >= 2:
        return _escalate(conversation, "two fallbacks in a row")
    return _say(conversation, REPHRASE, {"fallback": True})


def _escalate(conversation: BotConversation, why: str) -> BotMessage:
    handoff.escalate(conversation, why)
    return _say(conversation, HANDING_OVER, {"handoff": why})


def _link_customer(conversation: BotConversation) -> None:
    """The shop's customer, once the conversation knows who it is (a verified email)."""
    email = conversation.metadata.get("verifiedEmail")
    if conversation.customer_id is None and email:
        conversation.customer = Customer.objects.filter(email__iexact=email).first()


def _say(conversation: BotConversation, text: str, metadata: dict) -> BotMessage:
    message = BotMessage.objects.create(
        conversation=conversation, sender_type=Sender.BOT, content=text, metadata=metadata
    )
    handoff.deliver(message)
    return message
