from __future__ import annotations

from django.db import models

from benchbarrier import clock


class SpendEntry(models.Model):
    """One paid call to an outside service: an email handed to the ESP, an AI
    completion, an SMS (the seed's `CostTracking`). Written by
    `benchbarrier.services.spend.record_spend`; `cost` is null when the price is unknown
    (never a made-up 0)."""

    service = models.CharField(max_length=30, db_index=True, help_text="email, openai, sms")
    operation = models.CharField(max_length=60, help_text="e.g. send, chat.completion")
    model = models.CharField(max_length=100, blank=True)
    quantity = models.IntegerField(default=1, help_text="Messages, images or tokens.")
    cost = models.DecimalField(max_digits=14, decimal_places=6, null=True, blank=True)
    currency = models.CharField(max_length=3, default="USD")
    reference = models.CharField(max_length=100, blank=True, help_text="e.g. delivery 42")
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=clock.now, db_index=True)

    class Meta:
        db_table = "cost_tracking"
        verbose_name_plural = "spend entries"
        indexes = [models.Index(fields=["service", "created_at"], name="cost_service_time")]

    def __str__(self) -> str:
        cost = "unknown" if self.cost is None else f"{self.cost} {self.currency}"
        return f"{self.service} {self.operation}: {cost}"
