"""Web push: each browser a customer allowed to notify them (a subscription: the push
service's endpoint and the keys its messages are encrypted with), and each notification
sent to a customer's devices."""

from __future__ import annotations

from django.db import models

from benchbarrier import clock


class PushSubscription(models.Model):
    customer = models.ForeignKey(
        "marketing.Customer", on_delete=models.CASCADE, related_name="push_subscriptions"
    )
    endpoint = models.URLField(max_length=1000, unique=True)
    p256dh = models.CharField(max_length=200, help_text="The browser's public key.")
    auth = models.CharField(max_length=100, help_text="The browser's auth secret.")
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    last_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "push_subscriptions"

    def __str__(self) -> str:
        return f"{self.customer} on {self.endpoint.split('/')[2]}"


class PushStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    SKIPPED = "skipped", "Skipped"
    FAILED = "failed", "Failed"


class PushMessage(models.Model):
    """A notification to one customer, sent to each of their live subscriptions."""

    customer = models.ForeignKey(
        "marketing.Customer", null=True, on_delete=models.SET_NULL, related_name="push_messages"
    )
    title = models.CharField(max_length=200)
    body = models.CharField(max_length=500, blank=True)
    url = models.URLField(max_length=1000, blank=True, help_text="Where a click leads.")
    status = models.CharField(max_length=10, choices=PushStatus.choices, default="queued")
    reason = models.CharField(max_length=300, blank=True)
    devices = models.JSONField(default=dict, blank=True, help_text="Sent, expired, failed.")
    idempotency_key = models.CharField(max_length=200, unique=True)
    source = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=clock.now, db_index=True)
    send_after = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    shown_at = models.DateTimeField(
        null=True, blank=True, help_text="When a browser first showed it (its beacon)."
    )
    clicked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "push_messages"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"push to {self.customer}: {self.title}"
