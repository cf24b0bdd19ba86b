from __future__ import annotations

from django.apps import AppConfig


class ChatbotConfig(AppConfig):
    """The support bot: intents, conversations and human handoff."""

    name = "chatbot"
    verbose_name = "Support bot"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from chatbot import metrics  # noqa: F401  (the bot's figures in the metric registry)

        post_migrate.connect(_install, sender=self)


def _install(**kwargs: object) -> None:
    """The shipped intents exist after every migrate (edits kept)."""
    from chatbot.intents import install_intents

    install_intents()
