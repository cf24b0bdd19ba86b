from __future__ import annotations

from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    """Event ingestion, metrics and scheduled reports."""

    name = "analytics"
    verbose_name = "Analytics"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from analytics import metrics  # noqa: F401  (registers the seed's metrics)

        post_migrate.connect(_install_reports, sender=self)


def _install_reports(**kwargs: object) -> None:
    """The seed's three reports exist after every migrate (edits kept)."""
    from analytics.reports import install_seed_reports

    install_seed_reports()
