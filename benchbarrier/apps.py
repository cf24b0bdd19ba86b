from __future__ import annotations

from django.apps import AppConfig


class KernelConfig(AppConfig):
    """The platform kernel: API keys, audit log, worker heartbeats, health checks."""

    name = "benchbarrier"
    label = "benchbarrier"
    verbose_name = "Platform"

    def ready(self) -> None:
        from benchbarrier.api import schema  # noqa: F401  (registers OpenAPI extensions)
