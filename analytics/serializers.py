"""Shapes of the events API for the OpenAPI document and the responses. Requests are
checked by `analytics.validation` (fast, per item) rather than by these serializers."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from analytics.services import MAX_BATCH, BatchResult, ItemResult


class EventInputSerializer(serializers.Serializer):
    event_name = serializers.CharField(help_text='Dotted, lower case: "order.completed".')
    user_id = serializers.CharField(required=False, help_text="The site's user id.")
    session_id = serializers.CharField(required=False)
    message_id = serializers.CharField(
        required=False,
        help_text="Your id for this event (up to 100 characters). Sending it again is a "
        "no-op, so retries are safe. Generated when left out.",
    )
    timestamp = serializers.DateTimeField(
        required=False, help_text="When it happened (default: now); not in the future."
    )
    properties = serializers.DictField(required=False, help_text="Free JSON, see the catalogue.")


class EventBatchInputSerializer(serializers.Serializer):
    events = EventInputSerializer(many=True, allow_empty=False, max_length=MAX_BATCH)


class FieldErrorSerializer(serializers.Serializer):
    field = serializers.CharField()
    code = serializers.CharField()
    message = serializers.CharField()


class ItemResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["accepted", "duplicate", "rejected"])
    message_id = serializers.CharField(allow_null=True)
    id = serializers.IntegerField(allow_null=True)
    errors = FieldErrorSerializer(many=True)


class BatchResultSerializer(serializers.Serializer):
    accepted = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    rejected = serializers.IntegerField()
    results = ItemResultSerializer(many=True)


# Responses are built camelCase and rendered by the plain JSON renderer: rewriting the
# keys of a 1,000-item answer would cost more than storing the events.
def item_data(item: ItemResult) -> dict[str, Any]:
    return {
        "index": item.index,
        "status": item.status,
        "messageId": item.message_id,
        "id": item.id,
        "errors": [
            {"field": error.field, "code": error.code, "message": error.message}
            for error in item.errors
        ],
    }


def batch_data(result: BatchResult) -> dict[str, Any]:
    return {
        "accepted": result.count("accepted"),
        "duplicates": result.count("duplicate"),
        "rejected": result.count("rejected"),
        "results": [item_data(item) for item in result.items],
    }
