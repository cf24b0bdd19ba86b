from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower

from benchbarrier import clock


@cache
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def validate_timezone(value: str) -> None:
    if value not in _timezones():
        raise ValidationError(
            f'Unknown time zone "{value}"; use an IANA name like "Europe/Paris".',
            code="invalid",
        )


class Customer(models.Model):
    """A shopper: the site's user (`external_id`) and/or an email address.

    Profile and consent are written by `marketing.services.customers` (identify and
    import); the stats below are kept up to date from events by
    `marketing.stats.apply_events`, one statement per batch.
    """

    external_id = models.CharField(
        "site user id", max_length=255, unique=True, null=True, blank=True
    )
    # NULL, not "": external_id and email are each unique when present.
    email = models.EmailField(  # noqa: DJ001
        max_length=254, null=True, blank=True, help_text="Stored lower-case."
    )
    name = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    timezone = models.CharField(
        max_length=64, default="UTC", validators=[validate_timezone], help_text="IANA name."
    )
    locale = models.CharField(max_length=16, blank=True)

    email_opt_in = models.BooleanField("email opt-in", default=False)
    email_opt_in_at = models.DateTimeField("email opt-in changed", null=True, blank=True)
    email_opt_in_source = models.CharField(
        "email opt-in source", max_length=100, blank=True, help_text="e.g. checkout, signup form"
    )
    sms_opt_in = models.BooleanField("SMS opt-in", default=False)
    sms_opt_in_at = models.DateTimeField("SMS opt-in changed", null=True, blank=True)
    sms_opt_in_source = models.CharField("SMS opt-in source", max_length=100, blank=True)

    traits = models.JSONField(default=dict, blank=True, help_text="Free attributes.")

    total_spent = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    order_count = models.IntegerField(default=0)
    last_order_at = models.DateTimeField(null=True, blank=True)
    last_login = models.DateTimeField(null=True, blank=True)
    product_views = models.IntegerField(default=0)
    emails_sent = models.IntegerField(default=0)
    emails_opened = models.IntegerField(default=0)
    emails_clicked = models.IntegerField(default=0)
    email_engagement = models.FloatField(
        default=0, help_text="(opens + clicks) / (2 * emails sent), from 0 to 1."
    )
    first_seen = models.DateTimeField(null=True, blank=True)
    last_seen = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = models.DateTimeField(default=clock.now, editable=False)
    erased_at = models.DateTimeField(
        null=True, blank=True, editable=False,
        help_text="Their personal data was erased on request: only figures remain.",
    )  # fmt: skip

    class Meta:
        db_table = "customers"
        constraints = [
            models.UniqueConstraint(Lower("email"), name="customers_email_ci_unique"),
            models.CheckConstraint(
                condition=models.Q(external_id__isnull=False) | models.Q(email__isnull=False),
                name="customers_has_identity",
                violation_error_message="A customer needs a site user id or an email.",
            ),
        ]
        indexes = [
            models.Index(fields=["last_seen"], name="customers_last_seen"),
            models.Index(fields=["total_spent"], name="customers_total_spent"),
        ]

    def __str__(self) -> str:
        return self.name or self.email or f"user {self.external_id}"

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.strip() else ""


class ErasedContact(models.Model):
    """An email address or phone number whose owner had their data erased, kept only as a
    SHA-256 digest: nothing is sent to it again (a re-import of an old list cannot undo
    the erasure), and the address itself is not stored."""

    digest = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=5, choices=[("email", "Email"), ("phone", "Phone")])
    erased_at = models.DateTimeField(default=clock.now)

    class Meta:
        db_table = "erased_contacts"

    def __str__(self) -> str:
        return f"erased {self.kind} {self.digest[:12]}…"
