"""Celery-beat entry points of analytics (autodiscovered): each report's schedule."""

from __future__ import annotations

from analytics.report_schedules import generate_report

__all__ = ["generate_report"]
