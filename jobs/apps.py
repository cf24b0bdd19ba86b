from __future__ import annotations

from django.apps import AppConfig


class JobsConfig(AppConfig):
    """The durable job queue: jobs, claims, retries and the handler registry."""

    name = "jobs"
    verbose_name = "Jobs"
