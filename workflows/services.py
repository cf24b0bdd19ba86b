"""Saving workflows: the whole definition validated, audited, schedules kept in sync."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from benchbarrier import clock
from benchbarrier.services.audit import Actor, record_audit
from workflows.definition import validate_definition
from workflows.models import Workflow
from workflows.schedules import remove_schedule, sync_schedule

DEFINITION_FIELDS = (
    "trigger_type",
    "trigger_config",
    "steps",
    "exit_events",
    "reentry",
    "reentry_period",
)


def save_workflow(
    *, workflow: Workflow | None = None, actor: Actor, request: Any = None, **fields: Any
) -> Workflow:
    """Create or update a workflow. Raises workflows.definition.DefinitionError naming
    every problem by path; nothing is saved then. Running executions keep the
    definition they started with."""
    workflow = workflow or Workflow()
    created = workflow.pk is None
    for name, value in fields.items():
        setattr(workflow, name, value)
    validate_definition(**{name: getattr(workflow, name) for name in DEFINITION_FIELDS})
    workflow.updated_at = clock.now()
    if not created and any(name in fields for name in DEFINITION_FIELDS):
        workflow.version += 1
    with transaction.atomic():
        workflow.save()
        sync_schedule(workflow)
        record_audit(
            action="workflow.created" if created else "workflow.updated",
            target=workflow,
            changes={"fields": sorted(fields), "version": workflow.version},
            actor=actor,
            request=request,
        )
    return workflow


def delete_workflow(*, workflow: Workflow, actor: Actor, request: Any = None) -> None:
    with transaction.atomic():
        remove_schedule(workflow)
        record_audit(
            action="workflow.deleted",
            target=workflow,
            changes={"name": workflow.name},
            actor=actor,
            request=request,
        )
        workflow.delete()
