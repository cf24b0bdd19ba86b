"""The seed's bot tables: conversations, their messages (with the intent and confidence
the bot read), the intents it knows; and the trained classifier, versioned."""

from __future__ import annotations

import uuid

from django.db import models

from benchbarrier import clock


class Channel(models.TextChoices):
    WEB = "web", "Web"
    FACEBOOK = "facebook", "Facebook Messenger"
    INSTAGRAM = "instagram", "Instagram"
    WHATSAPP = "whatsapp", "WhatsApp"


class ConversationStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    RESOLVED = "resolved", "Resolved"
    ESCALATED = "escalated", "Escalated"


class Sender(models.TextChoices):
    USER = "user", "Customer"
    BOT = "bot", "Bot"
    AGENT = "agent", "Agent"


class BotConversation(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user_id = models.CharField("site user id", max_length=255, blank=True)
    customer = models.ForeignKey(
        "marketing.Customer", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="conversations",
    )  # fmt: skip
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.WEB)
    status = models.CharField(
        max_length=20, choices=ConversationStatus.choices, default=ConversationStatus.ACTIVE
    )
    started_at = models.DateTimeField(default=clock.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        db_table = "bot_conversations"
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} conversation {str(self.pk)[:8]}"


class BotMessage(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    conversation = models.ForeignKey(
        BotConversation, on_delete=models.CASCADE, related_name="messages"
    )
    sender_type = models.CharField(max_length=10, choices=Sender.choices)
    content = models.TextField()
    intent = models.CharField(max_length=100, blank=True)
    confidence = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        db_table = "bot_messages"
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.sender_type}: {self.content[:40]}"


class BotIntent(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    training_phrases = models.JSONField(
        default=list, blank=True, help_text="Examples of what a customer writes."
    )
    responses = models.JSONField(default=list, blank=True, help_text="What the bot answers.")
    actions = models.JSONField(
        default=list, blank=True, help_text='What the bot does, e.g. [{"type": "handoff"}].'
    )
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        db_table = "bot_intents"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class IntentModel(models.Model):
    """A classifier trained from the intents as they were (`chatbot.train`): the newest
    is the one in use, loaded once per process."""

    version = models.PositiveIntegerField(unique=True)
    intents = models.JSONField(default=list, help_text="The intents it knows.")
    phrases = models.PositiveIntegerField(default=0)
    fingerprint = models.CharField(max_length=64, help_text="Of the phrases it learnt.")
    blob = models.BinaryField(help_text="The fitted scikit-learn pipeline (joblib).")
    trained_at = models.DateTimeField(default=clock.now)

    class Meta:
        db_table = "bot_intent_models"
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"intent model v{self.version}"
