"""Text messages: one row per message to one number (who, what, how many segments, what it
cost, where it stands with the provider), and the numbers that replied STOP."""

from __future__ import annotations

from django.db import models

from benchbarrier import clock


class SmsStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    DEFERRED = "deferred", "Deferred (quiet hours)"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent (accepted by the provider)"
    DELIVERED = "delivered", "Delivered"
    UNDELIVERED = "undelivered", "Undelivered"
    SKIPPED = "skipped", "Skipped"
    FAILED = "failed", "Failed"


class SmsMessage(models.Model):
    """An SMS: queued by a workflow step, a campaign or the API, decided (consent, a
    valid number, STOP replies, quiet hours, the budget) and sent by the `sms.send` job."""

    to_number = models.CharField(max_length=20, help_text="E.164, e.g. +4915112345678.")
    customer = models.ForeignKey(
        "marketing.Customer", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="sms_messages",
    )  # fmt: skip
    body = models.TextField(help_text="As sent: links shortened through the click tracker.")
    links = models.JSONField(default=list, blank=True, help_text="The tracked URLs, in order.")
    encoding = models.CharField(max_length=5, blank=True, help_text="GSM-7 or UCS-2.")
    segments = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=12, choices=SmsStatus.choices, default=SmsStatus.QUEUED)
    reason = models.CharField(max_length=300, blank=True)
    idempotency_key = models.CharField(max_length=200, unique=True)
    source = models.CharField(max_length=300, blank=True, help_text="What queued it.")
    provider_id = models.CharField(max_length=64, blank=True, db_index=True)
    cost = models.DecimalField(max_digits=10, decimal_places=4, null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now, db_index=True)
    send_after = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "sms_messages"
        ordering = ["-created_at"]
        verbose_name = "SMS message"

    def __str__(self) -> str:
        return f"SMS to {self.to_number} ({self.status})"


class SmsOptOut(models.Model):
    """A number that replied STOP (or an equivalent): no marketing SMS goes to it until
    it replies START."""

    number = models.CharField(max_length=20, unique=True)
    keyword = models.CharField(max_length=20, help_text="What it replied.")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        db_table = "sms_opt_outs"
        verbose_name = "SMS opt-out"

    def __str__(self) -> str:
        return self.number
