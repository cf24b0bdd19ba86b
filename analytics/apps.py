from __future__ import annotations

from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    """Event ingestion, metrics and scheduled reports."""

    name = "analytics"
    verbose_name = "Analytics"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_migrate, post_save

        from analytics import seed_metrics  # noqa: F401  (registries)
        from analytics.models import AnalyticsReport

        post_migrate.connect(_install_reports, sender=self)
        post_migrate.connect(_build_rollups, sender=self)
        # a report's schedule follows it, however it is saved or deleted
        post_save.connect(_schedule, sender=AnalyticsReport, dispatch_uid="report.schedule")
        post_delete.connect(_unschedule, sender=AnalyticsReport, dispatch_uid="report.unschedule")


def _schedule(instance: object, **kwargs: object) -> None:
    from analytics.report_schedules import sync_report_schedule

    sync_report_schedule(instance)


def _unschedule(instance: object, **kwargs: object) -> None:
    from analytics.report_schedules import remove_report_schedule

    remove_report_schedule(instance.pk)


def _build_rollups(**kwargs: object) -> None:
    """Rollups made from the events already stored, the first time (an upgrade)."""
    from analytics.rollups import rebuild_if_missing

    rebuild_if_missing()


def _install_reports(**kwargs: object) -> None:
    """The seed's three reports exist after every migrate (edits kept)."""
    from analytics.reports import install_seed_reports

    install_seed_reports()
