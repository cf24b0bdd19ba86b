"""The bot's figures in the kernel's metric registry (so the query API, reports and their
charts have them): the seed's "bot conversation resolution rate", containment, handoffs,
the fallback rate and the median time to the first answer, over the conversations
started (or the messages written) in the period."""

from __future__ import annotations

from decimal import Decimal
from statistics import median

from benchbarrier.metrics_registry import Metric, Period, Scope, Value, register_metric
from chatbot import classifier
from chatbot.models import BotConversation, BotMessage, ConversationStatus, Sender


def _started(period: Period):
    return BotConversation.objects.filter(started_at__gte=period.start, started_at__lt=period.end)


def _share(part: int, whole: int) -> Value:
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001")) if whole else None


def resolution_rate(period: Period, scope: Scope = None) -> Value:
    found = _started(period)
    resolved = found.filter(status=ConversationStatus.RESOLVED, metadata__escalated__isnull=True)
    return _share(resolved.count(), found.count())


def containment_rate(period: Period, scope: Scope = None) -> Value:
    found = _started(period)
    return _share(found.exclude(status=ConversationStatus.ESCALATED).count(), found.count())


def handoffs(period: Period, scope: Scope = None) -> Value:
    return _started(period).filter(status=ConversationStatus.ESCALATED).count()


def fallback_rate(period: Period, scope: Scope = None) -> Value:
    written = BotMessage.objects.filter(sender_type=Sender.USER, created_at__gte=period.start,
                                        created_at__lt=period.end)  # fmt: skip
    return _share(written.filter(intent=classifier.FALLBACK).count(), written.count())


def first_response_seconds(period: Period, scope: Scope = None) -> Value:
    waits = []
    for conversation in _started(period).prefetch_related("messages"):
        found = list(conversation.messages.all())
        asked = next((m for m in found if m.sender_type == Sender.USER), None)
        answered = next((m for m in found if asked and m.sender_type != Sender.USER
                         and m.created_at >= asked.created_at), None)  # fmt: skip
        if asked and answered:
            waits.append((answered.created_at - asked.created_at).total_seconds())
    return Decimal(str(round(median(waits), 3))) if waits else None


for _metric in [
    Metric("bot_resolution_rate", "conversations the bot resolved without a person / "
           "conversations", "ratio", resolution_rate),
    Metric("bot_containment_rate", "conversations never handed to a person / conversations",
           "ratio", containment_rate),
    Metric("bot_handoffs", "conversations handed to a person", "count", handoffs),
    Metric("bot_fallback_rate", "customer messages the bot could not read / customer "
           "messages", "ratio", fallback_rate),
    Metric("bot_first_response_seconds", "median seconds from a conversation's first "
           "customer message to the first answer", "count", first_response_seconds),
]:  # fmt: skip
    register_metric(_metric)
