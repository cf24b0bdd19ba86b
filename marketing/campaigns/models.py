"""The seed's `marketing_campaigns` and `campaign_sends`, and what a send needs beyond
them: its variant, its delivery, whether it converted and for how much.

A campaign is a **broadcast** (one message to a segment, now or at a time, optionally
A/B tested) or a **sequence** (the seed's campaign templates: steps sent over days to
each customer who enters, run by the workflow engine through a workflow kept in sync).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from benchbarrier import clock


class CampaignType(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"
    PUSH = "push", "Push"
    SOCIAL = "social", "Social"


class CampaignKind(models.TextChoices):
    BROADCAST = "broadcast", "Broadcast (one send to a segment)"
    SEQUENCE = "sequence", "Sequence (steps over days, per customer)"


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SCHEDULED = "scheduled", "Scheduled"
    SENDING = "sending", "Sending"
    TESTING = "testing", "A/B test running"
    PAUSED = "paused", "Paused"
    SENT = "sent", "Sent"
    CANCELLED = "cancelled", "Cancelled"
    ACTIVE = "active", "Active (sequence)"


class WinnerMetric(models.TextChoices):
    OPEN_RATE = "open_rate", "Open rate"
    CLICK_RATE = "click_rate", "Click rate"
    REVENUE = "revenue_per_recipient", "Revenue per recipient"


class Fallback(models.TextChoices):
    LEADER = "leader", "Send the leader"
    CONTROL = "control", "Send the control (variant A)"


class Campaign(models.Model):
    """The seed's `marketing_campaigns`, with the state a send needs."""

    name = models.CharField(max_length=200)
    key = models.SlugField(
        max_length=60,
        unique=True,
        null=True,
        blank=True,
        help_text="Sequences: the seed's template key (welcome-series, win-back...).",
    )
    type = models.CharField(max_length=10, choices=CampaignType.choices, default="email")
    kind = models.CharField(max_length=10, choices=CampaignKind.choices, default="broadcast")
    segment = models.ForeignKey(
        "marketing.Segment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="campaigns",
        help_text="Who receives a broadcast.",
    )
    template = models.ForeignKey(
        "marketing.EmailTemplate",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="campaigns",
        help_text="The seed's content_template_id: what is sent.",
    )
    subject = models.CharField(
        max_length=300, blank=True, help_text="Overrides the template's subject."
    )
    text = models.TextField(
        blank=True,
        help_text="An SMS campaign's message: {{ customer.first_name }} and the variables "
        "work; links are shortened and tracked.",
    )
    social_account = models.ForeignKey(
        "marketing.SocialAccount",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="campaigns",
        help_text="A social campaign's account: the post goes there.",
    )
    link = models.URLField(
        max_length=1000, blank=True, help_text="A push campaign's link: where a click leads."
    )
    variables = models.JSONField(default=dict, blank=True, help_text="For the template.")
    schedule_config = models.JSONField(
        default=dict,
        blank=True,
        help_text='{"sendAt": ISO time, "localTime": "10:00"} for broadcasts; '
        '{"steps": [...], "trigger": {...}} for sequences.',
    )
    throttle_per_second = models.PositiveIntegerField(
        null=True, blank=True, help_text="Messages per second (default: the channel's)."
    )
    ab_test = models.JSONField(
        default=dict,
        blank=True,
        help_text='{"variants": [{"subject": ...}, {"subject": ...}], "testShare": 0.2, '
        '"metric": "click_rate", "waitHours": 2, "fallback": "leader"}',
    )
    is_active = models.BooleanField(default=True)
    status = models.CharField(
        max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    metrics = models.JSONField(default=dict, blank=True, help_text="Kept up to date.")
    decision = models.JSONField(default=dict, blank=True, help_text="The A/B test's outcome.")
    workflow = models.OneToOneField(
        "workflows.Workflow",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="campaign",
        help_text="A sequence's workflow, kept in sync.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    launched_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        db_table = "marketing_campaigns"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


class Sequence(Campaign):
    """A campaign of kind `sequence`, listed apart in the admin."""

    class Meta:
        proxy = True
        verbose_name = "sequence"


class SendStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    HELD = "held", "Held for the A/B winner"
    QUEUED = "queued", "Handed to the email path"
    SENT = "sent", "Sent"
    SKIPPED = "skipped", "Skipped"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class CampaignSend(models.Model):
    """The seed's `campaign_sends`: one campaign (step) to one customer, frozen when the
    audience is resolved; unique per (campaign, customer, step), so a crash or a retry
    never sends twice."""

    # (no index of their own: the composite indexes below lead with each)
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="sends", db_index=False
    )
    customer = models.ForeignKey(
        "marketing.Customer", on_delete=models.CASCADE, related_name="campaign_sends",
        db_index=False,
    )  # fmt: skip
    step = models.PositiveSmallIntegerField(default=0, help_text="A sequence's step.")
    variant = models.CharField(max_length=1, blank=True, help_text="A, B, C or D.")
    status = models.CharField(
        max_length=10, choices=SendStatus.choices, default=SendStatus.PENDING
    )
    due_at = models.DateTimeField(null=True, blank=True, help_text="Local send time.")
    queued_at = models.DateTimeField(
        null=True, blank=True, help_text="When its delivery was recorded for sending."
    )
    delivery = models.OneToOneField(
        "marketing.EmailDelivery",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="campaign_send",
    )
    sms_message = models.OneToOneField(
        "marketing.SmsMessage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="campaign_send",
    )
    push_message = models.OneToOneField(
        "marketing.PushMessage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="campaign_send",
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    converted_at = models.DateTimeField(null=True, blank=True)
    revenue = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        db_table = "campaign_sends"
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "customer", "step"], name="campaign_sends_once"
            )
        ]
        indexes = [
            # a chunk: the campaign's due pending sends in send-time order
            models.Index(
                fields=["campaign", "status", "due_at", "id"], name="campaign_sends_state"
            ),
            models.Index(fields=["customer", "sent_at"], name="campaign_sends_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign} to {self.customer}"


class Attribution(models.Model):
    """An order credited to the campaign send that led to it (at most once per order)."""

    order_id = models.CharField(max_length=100, unique=True)
    send = models.ForeignKey(CampaignSend, on_delete=models.CASCADE, related_name="orders")
    revenue = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, blank=True)
    touch = models.CharField(max_length=5, help_text="click or open")
    ordered_at = models.DateTimeField()

    class Meta:
        db_table = "campaign_attributions"

    def __str__(self) -> str:
        return f"order {self.order_id} -> {self.send}"
