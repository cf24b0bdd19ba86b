from __future__ import annotations

from importlib import import_module

from django.apps import AppConfig
from django.conf import settings
from django.utils.module_loading import autodiscover_modules


class JobsConfig(AppConfig):
    """The durable job queue: jobs, claims, retries and the handler registry."""

    name = "jobs"
    verbose_name = "Jobs"

    def ready(self) -> None:
        autodiscover_modules("jobs")
        for module in settings.JOBS_HANDLER_MODULES:
            import_module(module)
