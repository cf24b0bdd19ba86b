"""`/api/analytics/metrics` (the registry) and `/api/analytics/query` (figures as JSON or
CSV), scope `analytics`."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.core.files.storage import default_storage
from django.http import FileResponse, HttpRequest, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import advanced, exports, query
from analytics.models import ReportRun
from benchbarrier.api import serializers as base
from benchbarrier.durations import parse_duration
from benchbarrier.metrics_registry import all_metrics
from benchbarrier.models import Scope
from benchbarrier.services.audit import Actor
from jobs.services import enqueue


class MetricListView(APIView):
    required_scope = Scope.ANALYTICS

    @extend_schema(responses={200: None})
    def get(self, request: Request) -> Response:
        """Every metric: its formula in words, unit and the dimensions it splits by."""
        return Response([
            {"name": m.name, "formula": m.formula, "unit": m.unit,
             "dimensions": [*query.TIME_DIMENSIONS, *m.dimensions]}
            for m in all_metrics()
        ])  # fmt: skip


def _text(name: str, description: str) -> OpenApiParameter:
    return OpenApiParameter(name, OpenApiTypes.STR, description=description)


class QueryView(APIView):
    required_scope = Scope.ANALYTICS

    @extend_schema(
        parameters=[
            _text("metrics", "comma-separated, e.g. revenue,orders"),
            _text(
                "dimensions",
                "comma-separated: at most one of date, week, month and one "
                "of product_category, channel, campaign, customer_segment",
            ),
            _text("filters", "dimension:value, comma-separated or repeated, e.g. channel:email"),
            _text("period", f"one of {', '.join(query.NAMED_PERIODS)} (default last_30_days)"),
            _text("start", "first day, 2026-11-01 (with end; instead of period)"),
            _text("end", "last day, included"),
            _text("output", "json (default) or csv"),
        ],
        responses={200: None},
    )
    def get(self, request: Request) -> Response | HttpResponse:
        """Figures for metrics by dimensions over a period."""
        params = request.query_params
        split = lambda name: [p.strip() for p in params.get(name, "").split(",") if p.strip()]  # noqa: E731
        wanted = params.get("output", "json")  # (`format` is DRF's renderer switch)
        try:
            if wanted not in ("json", "csv"):
                raise query.QueryError("output", "json or csv")
            period = query.parse_period(
                params.get("period"), params.get("start"), params.get("end")
            )
            filters = [f.strip() for given in params.getlist("filters")
                       for f in given.split(",") if f.strip()]  # fmt: skip
            answer = query.run(split("metrics"), split("dimensions"), period, filters)
        except query.QueryError as exc:
            raise ValidationError({exc.field: [str(exc)]}) from None
        if wanted == "csv":
            return _csv(answer)
        return Response({
            "period": {"start": answer.period.start.isoformat(),
                       "end": answer.period.end.isoformat()},
            "dimensions": answer.dimensions, "metrics": answer.metrics,
            "rows": answer.rows, "warnings": answer.warnings,
        })  # fmt: skip


def _csv(answer: query.Answer) -> HttpResponse:
    buffer = io.StringIO()
    columns = [*answer.dimensions, *answer.metrics]
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(answer.rows)
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="metrics.csv"'
    return response


def _period(params: Any) -> Any:
    try:
        return query.parse_period(params.get("period"), params.get("start"), params.get("end"))
    except query.QueryError as exc:
        raise ValidationError({exc.field: [str(exc)]}) from None


class FunnelView(APIView):
    required_scope = Scope.ANALYTICS

    @extend_schema(
        parameters=[
            _text("steps", "event names in order (default product.viewed, cart.updated, "
                           "checkout.started, order.completed)"),
            _text("window", 'how long after the first step the others count, e.g. "7d"'),
            _text("period", "when the first step happened (as for /query)"),
            _text("start", "first day"),
            _text("end", "last day, included"),
        ],
        responses={200: None},
    )  # fmt: skip
    def get(self, request: Request) -> Response:
        """The conversion funnel: customers at each step, in order, within the window."""
        params = request.query_params
        steps = [s.strip() for s in params.get("steps", "").split(",") if s.strip()]
        steps = steps or advanced.DEFAULT_STEPS
        if not 2 <= len(steps) <= 8:
            raise ValidationError({"steps": ["2 to 8 event names, comma-separated"]})
        try:
            window = parse_duration(params.get("window", "7d"))
        except ValueError as exc:
            raise ValidationError({"window": [str(exc)]}) from None
        found = advanced.funnel(steps, _period(params), window)
        return Response({"steps": [
            {"event": s.event, "customers": s.customers,
             "fromPrevious": _num(s.from_previous), "fromFirst": _num(s.from_first)}
            for s in found
        ]})  # fmt: skip


class CohortView(APIView):
    required_scope = Scope.ANALYTICS

    @extend_schema(
        parameters=[
            _text("period", "the months whose first orders make the cohorts"),
            _text("start", "first day"),
            _text("end", "last day, included"),
            OpenApiParameter(
                "months",
                {"type": "integer", "minimum": 1, "maximum": 24},
                description="months followed (default 12)",
            ),
        ],
        responses={200: None},
    )
    def get(self, request: Request) -> Response:
        """Monthly cohorts: first-order month, and the share ordering N months later."""
        months = request.query_params.get("months") or "12"
        if not months.isdigit() or not 1 <= int(months) <= 24:
            raise ValidationError({"months": ["a whole number from 1 to 24"]})
        found = advanced.cohorts(_period(request.query_params), int(months))
        return Response({"cohorts": [
            {**c, "retention": [_num(r) for r in c["retention"]]} for c in found
        ]})  # fmt: skip


def _num(value: Any) -> str | None:
    return None if value is None else str(value)


class ExportRequestSerializer(base.Serializer):
    kind = serializers.ChoiceField(choices=["events", "report", "customer"], default="events")
    start = serializers.DateField(required=False, help_text="events: the first day")
    end = serializers.DateField(required=False, help_text="events: the last day, included")
    run_id = serializers.IntegerField(required=False, help_text="report: the run")
    user_id = serializers.CharField(required=False, max_length=255,
                                    help_text="customer: the site's user id")  # fmt: skip

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        needs = {"events": ("start", "end"), "report": ("run_id",), "customer": ("user_id",)}
        missing = {name: [f"required for kind {data['kind']}"]
                   for name in needs[data["kind"]] if data.get(name) in (None, "")}  # fmt: skip
        if missing:
            raise ValidationError(missing)
        if data["kind"] == "events" and data["end"] < data["start"]:
            raise ValidationError({"end": ["on or after start"]})
        if data["kind"] == "report" and not ReportRun.objects.filter(pk=data["run_id"]).exists():
            raise ValidationError({"run_id": [f"no report run {data['run_id']}"]})
        return data


class ExportView(APIView):
    required_scope = Scope.ANALYTICS

    @extend_schema(request=ExportRequestSerializer, responses={202: None})
    def post(self, request: Request) -> Response:
        """Export in a zip, as a `data.export` job whose result
        (GET /api/automation/jobs/{jobId}) holds the download link: events of
        `start`..`end` (CSV), a report run's breakdown (`runId`), or everything held about
        one customer (`userId`: the GDPR access right; the audit log names who asked)."""
        params = ExportRequestSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        payload = {"kind": data["kind"]}
        if data["kind"] == "events":
            payload |= {"start": data["start"].isoformat(), "end": data["end"].isoformat()}
        elif data["kind"] == "report":
            payload["runId"] = data["run_id"]
        else:
            payload["userId"] = data["user_id"]
        job, _ = enqueue(job_type="data.export", payload=payload,
                         actor=Actor.from_request(request), request=request)  # fmt: skip
        return Response({"jobId": job.pk}, status=status.HTTP_202_ACCEPTED)


def download(request: HttpRequest, token: str) -> HttpResponse:
    """An export's file, while its signed link holds."""
    try:
        name = exports.file_for(token)
    except exports.BadSignature:
        return HttpResponse("This link is not valid.", status=404, content_type="text/plain")
    except exports.LinkExpired:
        return HttpResponse("This link has expired: export again.", status=410,
                            content_type="text/plain")  # fmt: skip
    if not default_storage.exists(name):
        return HttpResponse("This export is gone.", status=404, content_type="text/plain")
    return FileResponse(default_storage.open(name, "rb"), as_attachment=True,
                        filename=name.rsplit("/", 1)[-1])  # fmt: skip
