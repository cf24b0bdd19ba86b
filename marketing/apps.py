from __future__ import annotations

from django.apps import AppConfig


class MarketingConfig(AppConfig):
    """Customers, segments, email delivery, campaigns and sequences."""

    name = "marketing"
    verbose_name = "Marketing"
