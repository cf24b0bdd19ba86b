from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from rest_framework.throttling import SimpleRateThrottle
from rest_framework_api_key.models import AbstractAPIKey, BaseAPIKeyManager

from benchbarrier import clock


class Scope(models.TextChoices):
    """What a key may call: one scope per API area."""

    AUTOMATION = "automation", "Automation (jobs, workflows)"
    AI = "ai", "AI content"
    MARKETING = "marketing", "Marketing"
    ANALYTICS = "analytics", "Analytics"
    CHAT = "chat", "Support chat"
    ADMIN = "admin", "Administration (keys, audit log)"


def validate_scopes(value: object) -> None:
    if not isinstance(value, list) or not value:
        raise ValidationError("Choose at least one scope.")
    unknown = sorted(set(map(str, value)) - set(Scope.values))
    if unknown:
        raise ValidationError(
            f"Unknown scope {', '.join(unknown)}: choose from {', '.join(Scope.values)}."
        )


def validate_throttle_rate(value: str) -> None:
    if not value:
        return
    try:
        SimpleRateThrottle.parse_rate(None, value)
    except (ValueError, KeyError):
        raise ValidationError(
            f'"{value}" is not a rate: write requests per period, like "600/min" or "10/s".'
        ) from None


class APIKeyManager(BaseAPIKeyManager):
    pass


class APIKey(AbstractAPIKey):
    """A key the shop's site uses to call the API.

    Only a SHA-512 hash is stored; the full key is shown once, when it is created. The
    8-character prefix identifies a key in lists, logs and URLs.
    """

    objects = APIKeyManager()

    scopes = models.JSONField(
        default=list,
        validators=[validate_scopes],
        help_text="The API areas this key may call.",
    )
    throttle_rate = models.CharField(
        max_length=20,
        blank=True,
        validators=[validate_throttle_rate],
        help_text='Requests allowed per period for this key, like "600/min". '
        "Empty: the default for every key.",
    )
    rotated_from = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rotated_to",
        help_text="The key this one replaced.",
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_by = models.CharField(max_length=150, blank=True)

    class Meta(AbstractAPIKey.Meta):
        db_table = "api_keys"
        verbose_name = "API key"
        verbose_name_plural = "API keys"

    @property
    def has_expired(self) -> bool:
        return self.expiry_date is not None and self.expiry_date <= clock.now()

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    @property
    def label(self) -> str:
        return f"{self.name} ({self.prefix})"
