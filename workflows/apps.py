from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class WorkflowsConfig(AppConfig):
    """Workflow definitions, triggers, executions and the step log."""

    name = "workflows"
    verbose_name = "Workflows"

    def ready(self) -> None:
        from benchbarrier.events import events_stored
        from jobs.signals import job_failed

        autodiscover_modules("steps")  # workflows.steps, then each app's own
        events_stored.connect(_on_events, dispatch_uid="workflows.triggers")
        job_failed.connect(_on_job_failed, dispatch_uid="workflows.step_failed")


def _on_events(sender: Any, events: list[Any], **kwargs: Any) -> None:
    from workflows.engine import on_events

    on_events(events)


def _on_job_failed(sender: Any, job: Any, **kwargs: Any) -> None:
    from workflows.engine import ADVANCE, fail_execution

    if job.job_type == ADVANCE:
        fail_execution(job.payload["executionId"], job.error_message)
