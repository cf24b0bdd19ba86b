"""Time values in rules: `"30_days_ago"`, `"12_hours_ago"`, `"today"`, `"yesterday"`,
ISO dates (`"2026-01-31"`) and ISO datetimes. Resolved against the clock when a rule
is compiled, so a saved segment means "30 days before each refresh"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

_RELATIVE = re.compile(r"^(\d+)_(minute|hour|day|week)s?_ago$")
_UNIT = {"minute": "minutes", "hour": "hours", "day": "days", "week": "weeks"}


@dataclass(frozen=True)
class TimeValue:
    """Either an instant or a whole day (UTC). `text` is what the rule said."""

    text: str
    delta: timedelta | None = None  # "N_units_ago": now - delta
    days_back: int | None = None  # "today" (0), "yesterday" (1)
    day: date | None = None
    instant: datetime | None = None

    def resolve(self, now: datetime) -> tuple[datetime, datetime | None]:
        """(start, end): an instant has end None; a day is [start, end)."""
        if self.delta is not None:
            return now - self.delta, None
        if self.instant is not None:
            return self.instant, None
        day = self.day if self.day is not None else (now.astimezone(UTC).date())
        if self.days_back:
            day -= timedelta(days=self.days_back)
        start = datetime.combine(day, time.min, tzinfo=UTC)
        return start, start + timedelta(days=1)


def parse_time_value(text: str) -> TimeValue:
    """Raises ValueError with the accepted forms."""
    value = text.strip().lower()
    if value == "today":
        return TimeValue(text, days_back=0)
    if value == "yesterday":
        return TimeValue(text, days_back=1)
    if match := _RELATIVE.match(value):
        amount, unit = match.groups()
        return TimeValue(text, delta=timedelta(**{_UNIT[unit]: int(amount)}))
    try:
        return TimeValue(text, day=date.fromisoformat(value))
    except ValueError:
        pass
    try:
        instant = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f'"{text}" is not a time: use "30_days_ago", "12_hours_ago", "today", '
            '"yesterday", a date like "2026-01-31" or an ISO datetime'
        ) from None
    return TimeValue(text, instant=instant if instant.tzinfo else instant.replace(tzinfo=UTC))
