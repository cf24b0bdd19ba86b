"""Filter shapes the API repeats: a time range on a datetime field.

    class JobFilter(django_filters.FilterSet):
        created_after, created_before = time_range("created_at", "created")

gives `?createdAfter=` (inclusive) and `?createdBefore=` (exclusive), ISO 8601. A value
that is not a time, or whose UTC offset PostgreSQL cannot store (beyond +/-15:59), is
a 400 naming the parameter, never a database error.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField

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
