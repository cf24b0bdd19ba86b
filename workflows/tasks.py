"""Celery-beat entry points: a schedule trigger starts one execution."""

from __future__ import annotations

from celery import shared_task

from benchbarrier import clock
from benchbarrier.services.audit import Actor
from workflows.models import Workflow
from workflows.services import start_execution


@shared_task(name="workflows.run_scheduled", ignore_result=True)
def run_scheduled(workflow_id: int) -> int | None:
    workflow = Workflow.objects.filter(pk=workflow_id).first()
    if workflow is None or workflow.is_paused:
        return None
    execution = start_execution(
        workflow,
        context={"scheduledAt": clock.now().isoformat()},
        actor=Actor.system("workflows.schedule"),
    )
    return execution.pk if execution else None
