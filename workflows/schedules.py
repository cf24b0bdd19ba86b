"""Schedule triggers as django-celery-beat periodic tasks, kept in step with the
workflow: created or updated on save, disabled while paused, removed on delete."""

from __future__ import annotations

import json

from django_celery_beat.models import CrontabSchedule, PeriodicTask

from workflows.models import TriggerType, Workflow

TASK = "workflows.run_scheduled"


def task_name(workflow: Workflow) -> str:
    return f"workflow {workflow.pk}: {workflow.name}"[:200]


def sync_schedule(workflow: Workflow) -> None:
    existing = PeriodicTask.objects.filter(
        task=TASK, kwargs=json.dumps({"workflow_id": workflow.pk})
    )
    if workflow.trigger_type != TriggerType.SCHEDULE:
        existing.delete()
        return
    minute, hour, day_of_month, month_of_year, day_of_week = workflow.trigger_config[
        "schedule"
    ].split()
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute=minute,
        hour=hour,
        day_of_month=day_of_month,
        month_of_year=month_of_year,
        day_of_week=day_of_week,
        timezone=workflow.trigger_config.get("timezone", "UTC"),
    )
    task = existing.first() or PeriodicTask(
        task=TASK, kwargs=json.dumps({"workflow_id": workflow.pk})
    )
    task.name = task_name(workflow)
    task.crontab = crontab
    task.interval = None
    task.enabled = not workflow.is_paused
    task.save()


def remove_schedule(workflow: Workflow) -> None:
    PeriodicTask.objects.filter(
        task=TASK, kwargs=json.dumps({"workflow_id": workflow.pk})
    ).delete()
