from __future__ import annotations

from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    """Event ingestion, metrics and scheduled reports."""

    name = "analytics"
    verbose_name = "Analytics"

    def ready(self) -> None:
        from analytics import metrics  # noqa: F401  (registers the seed's metrics)
