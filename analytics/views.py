from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import serializers
from analytics.services import MAX_BATCH, BatchResult, Status, record_events
from analytics.validation import FieldError
from benchbarrier.api.parsers import PlainJSONParser
from benchbarrier.models import Scope


class _IngestView(APIView):
    required_scope = Scope.ANALYTICS
    # Events arrive camelCase and are checked as such; `properties` must reach the
    # database exactly as sent, so the camelCase parser (which rewrites keys) is not used.
    parser_classes = [PlainJSONParser]
    renderer_classes = [JSONRenderer]  # answers are built camelCase (analytics.serializers)


class EventView(_IngestView):
    @extend_schema(
        request=serializers.EventInputSerializer,
        responses={201: serializers.ItemResultSerializer, 200: serializers.ItemResultSerializer},
    )
    def post(self, request: Request) -> Response:
        """Record one event: 201 when stored, 200 when its messageId was stored before."""
        item = record_events([request.data]).items[0]
        if item.status == Status.REJECTED:
            raise exceptions.ValidationError(_field_errors(item.errors))
        code = status.HTTP_201_CREATED if item.status == Status.ACCEPTED else status.HTTP_200_OK
        return Response(serializers.item_data(item), status=code)


class EventBatchView(_IngestView):
    @extend_schema(
        request=serializers.EventBatchInputSerializer,
        responses={200: serializers.BatchResultSerializer},
    )
    def post(self, request: Request) -> Response:
        """Record up to 1,000 events. Each is accepted, a duplicate or rejected (with its
        reasons); the good ones are stored even when others are rejected. 400 when none
        could be stored or the batch itself is malformed."""
        events = _batch_events(request.data)
        result = record_events(events)
        if all(item.status == Status.REJECTED for item in result.items):
            raise exceptions.ValidationError({"events": _batch_errors(result)})
        return Response(serializers.batch_data(result))


def _batch_events(data: Any) -> list[Any]:
    if not isinstance(data, dict):
        raise exceptions.ValidationError('Send a JSON object: {"events": [...]}.')
    unknown = sorted(set(data) - {"events"})
    if unknown:
        raise exceptions.ValidationError(
            {key: [exceptions.ErrorDetail("Unknown field.", "unknown_field")] for key in unknown}
        )
    events = data.get("events")
    if not isinstance(events, list) or not events:
        raise exceptions.ValidationError(
            {"events": [exceptions.ErrorDetail("A non-empty list of events.", "required")]}
        )
    if len(events) > MAX_BATCH:
        raise exceptions.ValidationError(
            {"events": [exceptions.ErrorDetail(f"At most {MAX_BATCH} events.", "max_length")]}
        )
    return events


def _field_errors(errors: list[FieldError]) -> dict[str, list[exceptions.ErrorDetail]]:
    detail: dict[str, list[exceptions.ErrorDetail]] = {}
    for error in errors:
        key = error.field or "non_field_errors"
        detail.setdefault(key, []).append(exceptions.ErrorDetail(error.message, error.code))
    return detail


def _batch_errors(result: BatchResult) -> dict[int, Any]:
    return {item.index: _field_errors(item.errors) for item in result.items}
