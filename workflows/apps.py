from __future__ import annotations

from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    """Workflow definitions, triggers, executions and the step log."""

    name = "workflows"
    verbose_name = "Workflows"
