from __future__ import annotations

from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class WorkflowsConfig(AppConfig):
    """Workflow definitions, triggers, executions and the step log."""

    name = "workflows"
    verbose_name = "Workflows"

    def ready(self) -> None:
        autodiscover_modules("steps")  # workflows.steps, then each app's own
