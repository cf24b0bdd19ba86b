"""The API's filtering, strict: a value it cannot use is a 400 naming the parameter,
never ignored and never a database error; the schema says what each takes.

- `FilterSet` (every filter set's base; `FilterBackend` builds `filterset_fields` on it):
  booleans only `true`/`false`, related rows by id (an unknown id matches nothing);
- `time_range`: a time range on a datetime field,

      class JobFilter(FilterSet):
          created_after, created_before = time_range("created_at", "created")

  gives `?createdAfter=` (inclusive) and `?createdBefore=` (exclusive), ISO 8601, with a
  UTC offset PostgreSQL can store (up to +/-15:59);
- `OrderingFilter`: `?ordering=` only by the fields it sorts by.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import django_filters
from django import forms
from django.db import models
from django_filters.fields import IsoDateTimeField
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema_field
from rest_framework import filters as rest_filters
from rest_framework.exceptions import ValidationError

# PostgreSQL keeps UTC offsets up to 15:59 either way.
MAX_UTC_OFFSET = timedelta(hours=15, minutes=59)


class TimestampField(IsoDateTimeField):
    """ISO 8601, with a UTC offset PostgreSQL can store."""

    def to_python(self, value: object) -> datetime | None:
        parsed = super().to_python(value)
        offset = parsed.utcoffset() if parsed is not None else None
        if offset is not None and abs(offset) > MAX_UTC_OFFSET:
            raise forms.ValidationError(
                "UTC offset out of range: at most +15:59 or -15:59", code="invalid"
            )
        return parsed


# What the schema says of it: RFC 3339 allows offsets to 23:59, PostgreSQL to 15:59.
STORABLE_OFFSET = r"(Z|z|[+-](0[0-9]|1[0-5]):[0-5][0-9])$"


@extend_schema_field({"type": "string", "format": "date-time", "pattern": STORABLE_OFFSET})
class TimestampFilter(django_filters.IsoDateTimeFilter):
    field_class = TimestampField


def time_range(field: str, what: str = "") -> tuple[TimestampFilter, TimestampFilter]:
    """(after, before) filters on `field`: from (inclusive) and until (exclusive)."""
    what = what or field.removesuffix("_at").replace("_", " ")
    return (
        TimestampFilter(field_name=field, lookup_expr="gte",
                        help_text=f"Only {what} at or after this time (ISO 8601)."),
        TimestampFilter(field_name=field, lookup_expr="lt",
                        help_text=f"Only {what} before this time (ISO 8601)."),
    )  # fmt: skip


class StrictBooleanField(forms.Field):
    """`true`/`false` (or 1/0); anything else is a 400, not a filter silently ignored."""

    widget = forms.TextInput

    def to_python(self, value: object) -> bool | None:
        if value in (None, ""):
            return None
        text = str(value).lower()
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise forms.ValidationError("true or false", code="invalid")


@extend_schema_field({"type": "boolean"})
class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


BIGGEST_ID = 2**63 - 1


class IdField(forms.IntegerField):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, min_value=1, max_value=BIGGEST_ID, **kwargs)


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": BIGGEST_ID})
class IdFilter(django_filters.NumberFilter):
    """A related row by id: one that does not exist matches nothing (not a 400)."""

    field_class = IdField


class FilterSet(django_filters.FilterSet):
    """The API's filter sets: booleans strict, related rows by id."""

    FILTER_DEFAULTS = {
        **django_filters.FilterSet.FILTER_DEFAULTS,
        models.BooleanField: {"filter_class": StrictBooleanFilter},
        models.ForeignKey: {"filter_class": IdFilter},
    }


class FilterBackend(DjangoFilterBackend):
    """`filterset_fields` build on the API's FilterSet."""

    filterset_base = FilterSet


class OrderingFilter(rest_filters.OrderingFilter):
    """`?ordering=` with a field it cannot sort by is a 400 naming it, not ignored."""

    def remove_invalid_fields(self, queryset: Any, fields: list[str], view: Any,
                              request: Any) -> list[str]:  # fmt: skip
        valid = super().remove_invalid_fields(queryset, fields, view, request)
        wrong = [term for term in fields if term and term not in valid]
        if wrong:
            context = {"request": request}
            valid_fields = self.get_valid_fields(queryset, view, context)
            allowed = sorted({name for name, _ in valid_fields})
            if not allowed:
                raise ValidationError({self.ordering_param: ["this list keeps its own order"]})
            raise ValidationError({self.ordering_param: [
                f"cannot sort by {', '.join(wrong)}; one of {', '.join(allowed)}, "
                "with - for descending"]})  # fmt: skip
        return valid

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        """The fields it sorts by, as the schema's pattern (comma-separated, - for
        descending)."""
        found = super().get_schema_operation_parameters(view)
        try:
            names = sorted({name for name, _ in self.get_valid_fields(
                getattr(view, "queryset", None), view, {"request": None})})  # fmt: skip
        except Exception:
            return found
        if not names:
            return []  # a list in its own order (cursor pages)
        one = "-?(" + "|".join(names) + ")"
        found[0]["schema"] = {"type": "string", "pattern": f"^{one}(,{one})*$"}
        found[0]["description"] = f"Sort by {', '.join(names)} (- for descending)."
        return found
