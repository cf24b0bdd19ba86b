"""BenchBarrier Automation: project package and platform kernel."""

from benchbarrier.celery import app as celery_app

__all__ = ("celery_app",)
