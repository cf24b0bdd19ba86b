from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db.models import Count
from django.urls import reverse
from rest_framework import serializers

from benchbarrier.api import serializers as base
from workflows.definition import DefinitionError, validate_definition
from workflows.models import Reentry, TriggerType, Workflow, WorkflowExecution, WorkflowStepLog
from workflows.services import DEFINITION_FIELDS


def raise_definition_errors(fields: dict[str, Any]) -> None:
    try:
        validate_definition(**fields)
    except DefinitionError as exc:
        detail: dict[str, list] = {}
        for path, message in exc.errors:
            detail.setdefault(path, []).append(serializers.ErrorDetail(message, "invalid_step"))
        raise serializers.ValidationError(detail) from None


class WorkflowSerializer(base.ModelSerializer):
    trigger_type = serializers.ChoiceField(choices=TriggerType.choices)
    trigger_config = serializers.JSONField(
        required=False,
        help_text='{"event": "cart.abandoned"} or {"schedule": "0 9 * * 1", '
        '"timezone": "Europe/Paris"}; nothing for webhooks.',
    )
    steps = serializers.JSONField(help_text="The step tree; see the README.")
    exit_events = serializers.JSONField(required=False)
    reentry = serializers.ChoiceField(choices=Reentry.choices, required=False)
    settings = serializers.JSONField(
        required=False,
        help_text='Workflow-wide settings steps read: {"discount": {"pool": "Winter codes"}} '
        'or {"discount": {"percentOff": 15, "expiresIn": "7d"}} (codes for `discount.*`).',
    )
    webhook_url = serializers.SerializerMethodField()
    execution_counts = serializers.SerializerMethodField()

    class Meta:
        model = Workflow
        fields = [
            "id",
            "name",
            "description",
            "trigger_type",
            "trigger_config",
            "steps",
            "exit_events",
            "reentry",
            "reentry_period",
            "settings",
            "is_paused",
            "version",
            "webhook_url",
            "execution_counts",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "is_paused",
            "version",
            "webhook_url",
            "execution_counts",
            "created_at",
            "updated_at",
        ]

    def get_webhook_url(self, workflow: Workflow) -> str | None:
        if workflow.trigger_type != TriggerType.WEBHOOK:
            return None
        return settings.SITE_URL + reverse("workflow-hook", args=[workflow.webhook_token])

    def get_execution_counts(self, workflow: Workflow) -> dict[str, int]:
        rows = workflow.executions.values_list("status").annotate(n=Count("id")).order_by()
        return dict(rows)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        current = self.instance
        fields = {
            name: attrs.get(name, getattr(current, name, None) if current else None)
            for name in DEFINITION_FIELDS
        }
        fields["trigger_config"] = fields["trigger_config"] or {}
        fields["exit_events"] = fields["exit_events"] or []
        fields["reentry"] = fields["reentry"] or Reentry.ONE_AT_A_TIME
        fields["reentry_period"] = fields["reentry_period"] or ""
        fields["settings"] = fields["settings"] or {}
        raise_definition_errors(fields)
        return attrs


class ValidateSerializer(base.Serializer):
    trigger_type = serializers.ChoiceField(choices=TriggerType.choices)
    trigger_config = serializers.JSONField(required=False, default=dict)
    steps = serializers.JSONField()
    exit_events = serializers.JSONField(required=False, default=list)
    reentry = serializers.ChoiceField(
        choices=Reentry.choices, required=False, default="one_at_a_time"
    )
    reentry_period = serializers.CharField(required=False, default="", allow_blank=True)
    settings = serializers.JSONField(required=False, default=dict)
    name = serializers.CharField(required=False)
    description = serializers.CharField(required=False, allow_blank=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        raise_definition_errors({name: attrs[name] for name in DEFINITION_FIELDS})
        return attrs


class JSONObjectField(serializers.DictField):
    """An object; in a query string, its JSON text (`?context={"cartId": "c1"}`)."""

    def to_internal_value(self, data: Any) -> dict:
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError:
                self.fail("not_a_dict", input_type="text that is not JSON")
        return super().to_internal_value(data)


class ExecuteSerializer(base.Serializer):
    context = JSONObjectField(required=False, default=dict, help_text="Becomes `trigger`.")
    user_id = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        help_text="The site user id the run is about.",
    )


class SimulateSerializer(base.Serializer):
    context = serializers.DictField(required=False, default=dict, help_text="Becomes `trigger`.")
    user_id = serializers.CharField(required=False, default="", allow_blank=True)
    checks = serializers.DictField(
        child=serializers.BooleanField(),
        required=False,
        default=dict,
        help_text='Force named checks: {"cart.stillAbandoned": false}.',
    )
    events = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        default=list,
        help_text="Events that arrive during waitForEvent steps.",
    )


class SimulatedStepSerializer(serializers.Serializer):
    path = serializers.CharField()
    type = serializers.CharField()
    outcome = serializers.CharField()


class StepLogSerializer(serializers.ModelSerializer):
    class Meta:
        model = WorkflowStepLog
        fields = [
            "id",
            "path",
            "step_type",
            "name",
            "status",
            "input",
            "output",
            "error",
            "duration_ms",
            "created_at",
        ]
        read_only_fields = fields


class ExecutionSerializer(serializers.ModelSerializer):
    workflow_name = serializers.CharField(source="workflow.name", read_only=True)

    class Meta:
        model = WorkflowExecution
        fields = [
            "id",
            "workflow",
            "workflow_name",
            "status",
            "user_id",
            "cursor",
            "context",
            "waiting_until",
            "waiting_for",
            "error",
            "started_at",
            "completed_at",
        ]
        read_only_fields = fields


class ExecutionDetailSerializer(ExecutionSerializer):
    step_logs = StepLogSerializer(many=True, read_only=True)
    definition = serializers.JSONField(read_only=True)

    class Meta(ExecutionSerializer.Meta):
        fields = [*ExecutionSerializer.Meta.fields, "definition", "step_logs"]
        read_only_fields = fields
