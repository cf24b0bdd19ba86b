"""Base serializers for every API: unknown input fields are an error, not ignored."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class RejectUnknownFieldsMixin:
    """A typo in a field name (`triggerTpye`) is a 400 naming it, instead of silently
    falling back to a default; and text is taken as the schema says: a string (not a
    number turned into one) no longer than its limit before blanks are trimmed."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, dict):
            return super().to_internal_value(data)
        known = {name for name, field in self.fields.items() if not field.read_only}
        unknown = {name: [serializers.ErrorDetail("Unknown field.", code="unknown_field")]
                   for name in sorted(set(data) - known)}  # fmt: skip
        wrong = _type_errors(self.fields, data, json_body=type(data) is dict)
        if unknown:
            raise serializers.ValidationError(unknown | wrong)
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:  # every field's errors, ours first
            if wrong and isinstance(exc.detail, dict):
                raise serializers.ValidationError({**exc.detail, **wrong}) from None
            raise
        if wrong:
            raise serializers.ValidationError(wrong)
        return value


def _type_errors(fields: Any, data: dict[str, Any], *, json_body: bool) -> dict[str, list[Any]]:
    """What DRF would coerce without a word: a number for text, true for a number, text
    one character over its limit until blanks are trimmed; and in a JSON body (not a form,
    whose values are all text) a number or a true/false given as text."""
    errors = {}
    for name, field in fields.items():
        value = data.get(name)
        if field.read_only or value is None:
            continue
        if isinstance(field, serializers.CharField):
            if not isinstance(value, str):
                errors[name] = [serializers.ErrorDetail("Not text.", code="invalid")]
            elif field.max_length is not None and len(value) > field.max_length:
                errors[name] = [serializers.ErrorDetail(
                    f"Ensure this field has no more than {field.max_length} characters.",
                    code="max_length")]  # fmt: skip
        elif isinstance(field, (serializers.IntegerField, serializers.FloatField)):
            if isinstance(value, bool) or (json_body and isinstance(value, str)):
                errors[name] = [serializers.ErrorDetail("A number.", code="invalid")]
        elif isinstance(field, serializers.BooleanField) and not isinstance(value, bool) and (
                json_body or isinstance(value, (int, float))):  # fmt: skip
            errors[name] = [serializers.ErrorDetail("true or false.", code="invalid")]
    return errors


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
