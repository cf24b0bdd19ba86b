from __future__ import annotations

from typing import Any

from rest_framework import serializers

from benchbarrier.api import serializers as base
from jobs.models import Job
from jobs.services import JobSpec, JobValidationError, validate_job

MAX_BULK = 1000


class JobSerializer(serializers.ModelSerializer):
    class Meta:
        model = Job
        fields = [
            "id",
            "job_type",
            "payload",
            "status",
            "priority",
            "attempts",
            "max_attempts",
            "scheduled_for",
            "started_at",
            "completed_at",
            "error_message",
            "traceback",
            "error_history",
            "result",
            "progress",
            "idempotency_key",
            "locked_by",
            "lease_expires_at",
            "created_at",
        ]
        read_only_fields = fields


class CreateJobSerializer(base.Serializer):
    job_type = serializers.CharField(max_length=100, help_text="A registered job type.")
    payload = serializers.JSONField(required=False, default=dict)
    priority = serializers.IntegerField(
        required=False, default=0, min_value=-1000, max_value=1000, help_text="Higher first."
    )
    scheduled_for = serializers.DateTimeField(
        required=False, allow_null=True, help_text="Not before this time (default: now)."
    )
    max_attempts = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=100,
        help_text="Default: the job type's own.",
    )  # fmt: skip
    idempotency_key = serializers.CharField(
        required=False, allow_null=True, max_length=200,
        help_text="A second job with the same key returns the first one instead.",
    )  # fmt: skip

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        spec = JobSpec(**attrs)
        try:
            validate_job(spec)
        except JobValidationError as exc:
            raise serializers.ValidationError({exc.field: [str(exc)]}) from None
        attrs["spec"] = spec
        return attrs


class BulkCreateJobsSerializer(base.Serializer):
    jobs = CreateJobSerializer(many=True, allow_empty=False, max_length=MAX_BULK)
