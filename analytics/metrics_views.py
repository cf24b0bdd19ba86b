"""`/api/analytics/metrics` (the registry) and `/api/analytics/query` (figures as JSON or
CSV), scope `analytics`."""

from __future__ import annotations

import csv
import io

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import query
from benchbarrier.metrics_registry import all_metrics
from benchbarrier.models import Scope


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
            _text("dimensions", "comma-separated: date, week or month"),
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
            answer = query.run(split("metrics"), split("dimensions"), period)
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
    columns = [*(d for d in answer.dimensions if d in query.TIME_DIMENSIONS), *answer.metrics]
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(answer.rows)
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="metrics.csv"'
    return response
