"""Base serializers for every API: unknown input fields are an error, not ignored."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class RejectUnknownFieldsMixin:
    """A typo in a field name (`triggerTpye`) is a 400 naming it, instead of silently
    falling back to a default."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            known = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(set(data) - known)
            if unknown:
                raise serializers.ValidationError(
                    {
                        name: [serializers.ErrorDetail("Unknown field.", code="unknown_field")]
                        for name in unknown
                    }
                )
        return super().to_internal_value(data)


class Serializer(RejectUnknownFieldsMixin, serializers.Serializer):
    pass


class ModelSerializer(RejectUnknownFieldsMixin, serializers.ModelSerializer):
    pass


class ErrorItemSerializer(serializers.Serializer):
    field = serializers.CharField(
        allow_null=True, help_text="camelCase path of the input at fault, or null."
    )
    code = serializers.CharField(help_text="Machine-readable reason, e.g. `required`.")
    message = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    """The body of every 4xx and 5xx answer."""

    code = serializers.CharField()
    message = serializers.CharField()
    errors = ErrorItemSerializer(many=True)
    request_id = serializers.CharField(allow_null=True)
