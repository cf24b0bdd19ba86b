"""The seed's bot tables: conversations, their messages (with the intent and confidence
the bot read), the intents it knows; and the trained classifier, versioned."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

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


class Stage(models.TextChoices):
    """Who holds the conversation: the seed's status with the handoff's two halves."""

    BOT = "bot", "Bot"
    WAITING = "waiting", "Waiting for a person"
    AGENT = "agent", "With a person"
    RESOLVED = "resolved", "Resolved"


class BotConversation(models.Model):
    """A customer's conversation. The seed's `status` says active (the bot answers),
    escalated (a person is asked for: waiting until one is assigned, then theirs) or
    resolved; the next customer message makes a resolved conversation the bot's again."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user_id = models.CharField("site user id", max_length=255, blank=True)
    contact = models.CharField(
        max_length=100, blank=True, db_index=True,
        help_text="The customer on a Meta channel: page-scoped id, or WhatsApp number.",
    )  # fmt: skip
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
    escalated_at = models.DateTimeField(null=True, blank=True, db_index=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", help_text="The person answering it.",
    )  # fmt: skip
    last_customer_message_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "bot_conversations"
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} conversation {str(self.pk)[:8]}"

    @property
    def stage(self) -> Stage:
        if self.status == ConversationStatus.RESOLVED:
            return Stage.RESOLVED
        if self.status == ConversationStatus.ESCALATED:
            return Stage.AGENT if self.assigned_to_id else Stage.WAITING
        return Stage.BOT


class InboxConversation(BotConversation):
    """The agent inbox: conversations handed to a person, the longest waiting first."""

    class Meta:
        proxy = True
        verbose_name = "conversation for a person"
        verbose_name_plural = "agent inbox"


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
    external_id = models.CharField(
        max_length=255, blank=True, help_text="The platform's message id (Meta channels)."
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", help_text="The person who wrote an agent message.",
    )  # fmt: skip

    class Meta:
        db_table = "bot_messages"
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["external_id"], condition=~Q(external_id=""),
                                    name="bot_message_external_id_once"),
        ]  # fmt: skip

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
