from __future__ import annotations

from datetime import timedelta
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from benchbarrier.durations import parse_duration


@extend_schema_field({"type": "string", "pattern": r"^\s*[0-9]{1,6}\s*[smhdw]\s*$",
                      "example": "24h"})  # fmt: skip
class DurationField(serializers.CharField):
    """A short duration on the wire (`"30m"`, `"24h"`, `"3d"`), a timedelta in Python."""

    def to_internal_value(self, data: object) -> timedelta:
        text = super().to_internal_value(data)
        try:
            return parse_duration(text)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc), code="invalid") from None

    def to_representation(self, value: timedelta) -> str:
        return f"{int(value.total_seconds())}s"


class UsdField(serializers.DecimalField):
    """Money in US dollars as a JSON number (the seed's `cost: number`), never a string;
    null where no price is known."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", "USD, a number; null when no price is known.")
        super().__init__(
            max_digits=14, decimal_places=6, coerce_to_string=False, allow_null=True, **kwargs
        )
