"""Deployment checks of marketing (`manage.py check --deploy`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register

from marketing.email.webhooks import webhooks_protected


@register(Tags.security, deploy=True)
def esp_webhooks_protected(app_configs: Any, **kwargs: Any) -> list[Warning]:
    """An ESP sends the mail (an anymail backend) but nothing checks its webhooks."""
    if "anymail" not in settings.EMAIL_BACKEND or webhooks_protected():
        return []
    return [Warning(
        "ESP tracking webhooks are refused: nothing authenticates them.",
        hint="Set ANYMAIL_WEBHOOK_SECRET (user:password, also in the ESP's webhook URL) or "
        "the ESP's signing key (e.g. ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY); until then "
        "bounces, complaints, opens and clicks are not recorded.",
        id="marketing.W001",
    )]  # fmt: skip
