from __future__ import annotations

from django.db import models
from django.db.models.functions import Upper

from benchbarrier import clock


class DiscountKind(models.TextChoices):
    PERCENT = "percent", "Percent off"
    AMOUNT = "amount", "Amount off"


class DiscountPool(models.Model):
    """Codes the shop's platform made (imported from its CSV export), handed out one
    per run by `marketing.services.discounts.issue_discount`."""

    name = models.CharField(max_length=100, unique=True, help_text="Workflows name it.")
    description = models.TextField(blank=True)
    kind = models.CharField(
        max_length=10, choices=DiscountKind.choices, default=DiscountKind.PERCENT,
        help_text="What the codes give, as the platform set them up (shown in emails).",
    )  # fmt: skip
    value = models.DecimalField(
        max_digits=10, decimal_places=2, default=10, help_text="10 = 10% or 10.00 off."
    )
    currency = models.CharField(max_length=3, blank=True, help_text="For amounts: EUR, USD...")
    created_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        db_table = "discount_pools"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class DiscountCode(models.Model):
    """One code: from a pool (imported) or generated; whom it went to, for what run,
    and whether an order used it."""

    code = models.CharField(max_length=64)
    pool = models.ForeignKey(
        DiscountPool, null=True, blank=True, on_delete=models.PROTECT, related_name="codes",
        help_text="Empty for generated codes.",
    )  # fmt: skip
    kind = models.CharField(max_length=10, choices=DiscountKind.choices)
    value = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    customer = models.ForeignKey(
        "marketing.Customer", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="discount_codes",
    )  # fmt: skip
    user_id = models.CharField("site user id", max_length=255, blank=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=200, blank=True, help_text="What it was issued for.")
    # NULL, not "": codes waiting in a pool have none. Unique (one code per run), through
    # Meta.constraints: `unique=True` would add a LIKE index nothing reads.
    idempotency_key = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001
    used_at = models.DateTimeField(null=True, blank=True)
    order_id = models.CharField(max_length=100, blank=True, help_text="The order that used it.")
    created_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        db_table = "discount_codes"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(Upper("code"), name="discount_codes_code_ci_unique"),
        ]
        indexes = [
            # Handing out a pool's next code: only the codes still waiting.
            models.Index(
                fields=["pool", "id"],
                name="discount_codes_waiting",
                condition=models.Q(issued_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.code
