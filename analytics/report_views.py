"""`/api/analytics/reports` (scope `analytics`): the seed's reports and yours, run now or
for a period, and their past runs."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from analytics import query, reports
from analytics.models import AnalyticsReport, ReportRun
from benchbarrier.api import serializers as base
from benchbarrier.models import Scope
from benchbarrier.services.audit import Actor
from jobs.services import enqueue


class ReportSerializer(base.ModelSerializer):
    schedule = serializers.CharField(max_length=10)  # checked with the rest, by field
    report_type = serializers.CharField(max_length=20)

    class Meta:
        model = AnalyticsReport
        fields = ["id", "name", "report_type", "schedule", "recipients", "config", "timezone",
                  "send_hour", "last_generated_at", "created_at"]  # fmt: skip
        read_only_fields = ["id", "last_generated_at", "created_at"]


class RunSerializer(base.ModelSerializer):
    class Meta:
        model = ReportRun
        fields = ["id", "period_start", "period_end", "status", "figures", "error",
                  "created_at"]  # fmt: skip


class RunRequestSerializer(base.Serializer):
    start = serializers.DateField(required=False, help_text="First day (with end).")
    end = serializers.DateField(required=False, help_text="Last day, included.")


class ReportViewSet(viewsets.ModelViewSet):
    """Reports (the seed's `analytics_reports`)."""

    required_scope = Scope.ANALYTICS
    queryset = AnalyticsReport.objects.all()
    serializer_class = ReportSerializer

    def perform_create(self, serializer: ReportSerializer) -> None:
        self._save(AnalyticsReport(**serializer.validated_data), serializer)

    def perform_update(self, serializer: ReportSerializer) -> None:
        report = serializer.instance
        for name, value in serializer.validated_data.items():
            setattr(report, name, value)
        self._save(report, serializer)

    def _save(self, report: AnalyticsReport, serializer: ReportSerializer) -> None:
        try:
            serializer.instance = reports.save_report(report)
        except reports.ReportError as exc:
            raise ValidationError({field: [message] for field, message in exc.errors}) from None

    @extend_schema(request=RunRequestSerializer, responses={202: None})
    @action(detail=True, methods=["post"])
    def run(self, request: Request, pk: str) -> Response:
        """Generate now: for its last full period, or for `start`..`end`."""
        report = self.get_object()
        params = RunRequestSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        payload: dict[str, Any] = {"reportId": report.pk}
        if params.validated_data.get("start") or params.validated_data.get("end"):
            start, end = params.validated_data.get("start"), params.validated_data.get("end")
            try:
                query.parse_period(None, str(start or ""), str(end or ""))
            except query.QueryError as exc:
                raise ValidationError({exc.field: [str(exc)]}) from None
            payload |= {"start": start.isoformat(), "end": end.isoformat()}
        job, _ = enqueue(job_type="report.generate", payload=payload,
                         actor=Actor.from_request(request), request=request)  # fmt: skip
        return Response({"jobId": job.pk}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={200: RunSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def runs(self, request: Request, pk: str) -> Response:
        """Past runs, newest first."""
        runs = self.get_object().runs.all()[:100]
        return Response(RunSerializer(runs, many=True).data)
