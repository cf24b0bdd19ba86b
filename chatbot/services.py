"""Changing what the bot knows: an intent saved or deleted queues `chatbot.train` (once
per set of phrases), so the classifier learns it within moments."""

from __future__ import annotations

from chatbot.classifier import examples, fingerprint
from chatbot.models import BotIntent
from jobs.services import enqueue


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
