from __future__ import annotations

from django.apps import AppConfig


class ChatbotConfig(AppConfig):
    """The support bot: intents, conversations and human handoff."""

    name = "chatbot"
    verbose_name = "Support bot"
