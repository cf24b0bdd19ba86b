from __future__ import annotations

from django.db import models

from benchbarrier import clock


class EmailKind(models.TextChoices):
    MARKETING = "marketing", "Marketing (needs opt-in)"
    TRANSACTIONAL = "transactional", "Transactional (orders, accounts)"


class EmailTemplate(models.Model):
    """An email marketers can edit: subject, HTML content (placed in the branded layout)
    and plain text, with the variables it needs declared. Shipped defaults live in
    `templates/emails/<slug>/` and are copied here once (never over an edit)."""

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=15, choices=EmailKind.choices, default=EmailKind.MARKETING)
    category = models.SlugField(
        max_length=50,
        default="news",
        help_text="What recipients can unsubscribe from in the preference centre.",
    )
    subject = models.CharField(
        max_length=300, help_text="Django template syntax: {{ cart.total }}"
    )
    html_body = models.TextField("HTML content", help_text="Inside the branded layout.")
    text_body = models.TextField("plain text")
    variables = models.JSONField(
        default=list,
        blank=True,
        help_text='Variables the caller must pass, as dotted paths: ["cart.items", "cart.total"]. '
        "customer.*, unsubscribe_url and site_url are always there.",
    )
    sample_data = models.JSONField(
        default=dict, blank=True, help_text="Example variables for the admin preview."
    )
    updated_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        db_table = "email_templates"
        ordering = ["slug"]

    def __str__(self) -> str:
        return f"{self.name} ({self.slug})"


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    DEFERRED = "deferred", "Deferred (quiet hours)"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    BOUNCED = "bounced", "Bounced"
    COMPLAINED = "complained", "Complained"
    SKIPPED = "skipped", "Skipped"
    FAILED = "failed", "Failed"


class EmailDelivery(models.Model):
    """One email to one address: what, why, and what happened to it. Created by
    `marketing.email.services.queue_email`, sent by the `email.send` job."""

    to_email = models.EmailField(max_length=254)  # indexed first in deliveries_recent
    customer = models.ForeignKey(
        "marketing.Customer", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="deliveries",
    )  # fmt: skip
    template = models.ForeignKey(
        EmailTemplate, on_delete=models.PROTECT, related_name="deliveries"
    )
    variables = models.JSONField(default=dict, blank=True)
    kind = models.CharField(max_length=15, choices=EmailKind.choices)
    is_test = models.BooleanField(
        "test", default=False,
        help_text="A test a staff member sent to themselves: no consent rules, [Test] subject.",
    )  # fmt: skip
    status = models.CharField(
        max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED
    )
    reason = models.CharField(
        max_length=300, blank=True, help_text="Why skipped, deferred or failed."
    )
    idempotency_key = models.CharField(max_length=200)  # unique: deliveries_once
    source = models.CharField(
        max_length=100,
        blank=True,
        help_text='What caused it: "workflow 3 / execution 12", "campaign 5".',
    )
    subject = models.CharField(max_length=300, blank=True)
    subject_override = models.CharField(
        max_length=300, blank=True, help_text="Sent instead of the template's subject (a "
        "campaign's, an A/B variant's, a sequence step's); template syntax works."
    )  # fmt: skip
    links = models.JSONField(default=list, blank=True, help_text="The tracked URLs, in order.")
    attachments = models.JSONField(
        default=list, blank=True,
        help_text="Files sent with it (from the storage): filename, contentType, path, "
        "contentId (an inline image).",
    )  # fmt: skip
    message_id = models.CharField(max_length=200, blank=True, help_text="Message-ID header.")
    esp_message_id = models.CharField(max_length=200, blank=True)
    sender = models.CharField(
        max_length=32, blank=True,
        help_text="The batch that sends (or sent) it: settles it if its worker died.",
    )  # fmt: skip
    handed_at = models.DateTimeField(
        null=True, blank=True, help_text="When it was handed to the ESP (empty: not yet)."
    )
    created_at = models.DateTimeField(default=clock.now, db_index=True)
    send_after = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    proxy_open = models.BooleanField(
        default=False, help_text="The first open came from a mail privacy proxy (Apple MPP)."
    )
    bot_click = models.BooleanField(
        default=False, help_text="The first click came within seconds of sending: a scanner."
    )
    bounced_at = models.DateTimeField(null=True, blank=True)
    complained_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "email_deliveries"
        verbose_name_plural = "email deliveries"
        # Few indexes, and none a LIKE would need: each row is written four times on
        # its way out (recorded, sending, handed over, sent), and the fillfactor
        # (migration 0007) leaves room on the page for the updates that change no
        # indexed column (the hand-over).
        constraints = [
            models.UniqueConstraint(fields=["idempotency_key"], name="deliveries_once"),
        ]
        indexes = [
            models.Index(fields=["to_email", "kind", "sent_at"], name="deliveries_recent"),
            models.Index(fields=["esp_message_id"], name="deliveries_esp_id"),
            models.Index(
                fields=["sender"],
                condition=models.Q(status="sending"),
                name="deliveries_sending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template.slug} to {self.to_email}"


class SuppressionScope(models.TextChoices):
    ALL = "all", "All email (bounces, complaints)"
    MARKETING = "marketing", "All marketing email (unsubscribed)"
    CATEGORY = "category", "One marketing category"


class Suppression(models.Model):
    """An address we must not email (or not for marketing, or not for one category)."""

    email = models.EmailField(max_length=254)
    scope = models.CharField(max_length=10, choices=SuppressionScope.choices)
    category = models.SlugField(max_length=50, blank=True)
    reason = models.CharField(
        max_length=200, help_text="e.g. hard bounce, complaint, unsubscribe link"
    )
    delivery = models.ForeignKey(
        EmailDelivery, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        db_table = "email_suppressions"
        constraints = [
            models.UniqueConstraint(
                fields=["email", "scope", "category"], name="suppression_unique"
            )
        ]

    def __str__(self) -> str:
        what = f"{self.scope}:{self.category}" if self.category else self.scope
        return f"{self.email} ({what})"
