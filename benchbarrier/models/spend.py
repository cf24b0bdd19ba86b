from __future__ import annotations

from django.db import models

from benchbarrier import clock


class SpendService(models.TextChoices):
    """The services the ledger counts: the seed's `CostTracking` services (openai,
    anthropic, stability) and its budgets (email, sms), plus the channels to come."""

    OPENAI = "openai", "OpenAI"
    ANTHROPIC = "anthropic", "Anthropic"
    STABILITY = "stability", "Stability AI"
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"
    PUSH = "push", "Push"
    SOCIAL = "social", "Social"


class SpendEntry(models.Model):
    """One paid call to an outside service: an email handed to the ESP, an AI
    completion, an SMS (the seed's `CostTracking`). Written by
    `benchbarrier.services.spend.record_spend`; `cost` is null when the price is unknown
    (never a made-up 0)."""

    service = models.CharField(max_length=30, choices=SpendService.choices)  # cost_service_time
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


class ModelPrice(models.Model):
    """What a model costs, per 1M tokens (input, cached input, output) or per image, as
    the provider publishes it. A model missing here has its cost recorded as unknown."""

    model = models.CharField(max_length=100, unique=True, help_text="e.g. gpt-4o-mini")
    service = models.CharField(
        max_length=30, choices=SpendService.choices, default=SpendService.OPENAI
    )
    input_per_million = models.DecimalField(
        "input / 1M tokens", max_digits=10, decimal_places=4, null=True, blank=True
    )
    cached_input_per_million = models.DecimalField(
        "cached input / 1M tokens", max_digits=10, decimal_places=4, null=True, blank=True,
        help_text="Empty: cached input tokens cost as much as other input tokens.",
    )  # fmt: skip
    output_per_million = models.DecimalField(
        "output / 1M tokens", max_digits=10, decimal_places=4, null=True, blank=True
    )
    per_image = models.DecimalField(max_digits=10, decimal_places=4, null=True, blank=True)
    currency = models.CharField(max_length=3, default="USD")
    published_on = models.DateField(help_text="When the provider published these prices.")
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        db_table = "model_prices"
        ordering = ["service", "model"]

    def __str__(self) -> str:
        return self.model


class BudgetMode(models.TextChoices):
    HARD_STOP = "hard_stop", "Refuse new calls at 100%"
    WARN_ONLY = "warn_only", "Only warn"


class Budget(models.Model):
    """A monthly spending limit for one service, or for everything (service empty)."""

    service = models.CharField(
        max_length=30, unique=True, blank=True, choices=SpendService.choices,
        help_text="Empty: the total of every service.",
    )  # fmt: skip
    monthly_limit = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default="USD")
    mode = models.CharField(
        max_length=10, choices=BudgetMode.choices, default=BudgetMode.HARD_STOP
    )
    warn_at_percent = models.PositiveSmallIntegerField(default=80)

    class Meta:
        db_table = "budgets"
        ordering = ["service"]

    def __str__(self) -> str:
        return f"{self.label} budget"

    @property
    def label(self) -> str:
        return self.service or "total"


class MonthlySpend(models.Model):
    """The known spend of one service in one calendar month (UTC), kept up to date by
    every ledger write, so budgets are checked by reading a row, not summing a month."""

    service = models.CharField(max_length=30)
    month = models.DateField(help_text="The month's first day.")
    total = models.DecimalField(max_digits=14, decimal_places=6, default=0)

    class Meta:
        verbose_name = "monthly spend"
        verbose_name_plural = "monthly spend"
        db_table = "monthly_spend"
        constraints = [
            models.UniqueConstraint(fields=["service", "month"], name="monthly_spend_once")
        ]

    def __str__(self) -> str:
        return f"{self.service} {self.month:%Y-%m}: {self.total}"
