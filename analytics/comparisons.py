"""What a report compares a period with: the periods before it that are alike (the same
weekday for a day, the weeks before a week, the months before a month), the same period a
year earlier, and whether a value falls outside its recent range.

An anomaly is a value further than 3 MAD from the median of the last 8 comparable periods
(MAD: the median absolute deviation from that median), judged only with at least 4 of
them (when more than half of them are equal, MAD is 0 and any other value is one).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from statistics import median

from benchbarrier.metrics_registry import Period, Value

HISTORY = 8
MIN_HISTORY = 4
MADS = 3


def _months_back(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return day.replace(year=index // 12, month=index % 12 + 1, day=1)


def is_calendar_month(period: Period) -> bool:
    start, end = period.start, period.end
    return (
        start.day == 1
        and start.time() == end.time()
        and (_months_back(end.date(), 1) == start.date() and end.day == 1)
    )


def earlier(period: Period, steps: int) -> Period:
    """The comparable period `steps` before: months for a calendar month, otherwise
    whole weeks (a day is compared with the same weekday)."""
    if is_calendar_month(period):
        return Period(_shift_months(period.start, steps), _shift_months(period.end, steps))
    length = period.end - period.start
    step = timedelta(days=7) if length <= timedelta(days=7) else length
    return Period(_local(period.start, -step * steps), _local(period.end, -step * steps))


def a_year_before(period: Period) -> Period:
    """The same period a year earlier: 12 months for a month, else 52 weeks (weekdays kept)."""
    if is_calendar_month(period):
        return Period(_shift_months(period.start, 12), _shift_months(period.end, 12))
    weeks = timedelta(weeks=52)
    return Period(_local(period.start, -weeks), _local(period.end, -weeks))


def previous(period: Period) -> Period:
    """The period just before: the month before a calendar month, else as long."""
    return earlier(period, 1) if is_calendar_month(period) else period.previous


def history(period: Period) -> list[Period]:
    """The last HISTORY comparable periods, oldest first."""
    return [earlier(period, steps) for steps in range(HISTORY, 0, -1)]


def _local(moment: datetime, delta: timedelta) -> datetime:
    """`moment` moved by whole days on the wall clock of its own time zone (DST kept)."""
    return datetime.combine(moment.date() + delta, moment.timetz())


def _shift_months(moment: datetime, months: int) -> datetime:
    return datetime.combine(_months_back(moment.date(), months), moment.timetz())


def anomaly(value: Value, past: list[Value]) -> str | None:
    """Why `value` is outside the range of `past` (see the module), or None."""
    values = [Decimal(v) for v in past if v is not None]
    if value is None or len(values) < MIN_HISTORY:
        return None
    middle = median(values)
    spread = median(abs(v - middle) for v in values)
    distance = Decimal(value) - middle
    if distance == 0 or abs(distance) <= MADS * spread:
        return None
    if all(v == middle for v in values):
        return f"{_show(value)} where the last {len(values)} were all {_show(middle)}"
    side = "above" if distance > 0 else "below"
    return (f"{_show(value)} is {side} its usual range (median {_show(middle)} of the last "
            f"{len(values)}, {MADS} MAD = {_show(MADS * spread)})")  # fmt: skip


def _show(number: Decimal | int) -> str:
    number = Decimal(number)
    if number == number.to_integral_value():
        return f"{int(number):,}"
    return f"{number.normalize():,f}" if abs(number) < 1 else f"{number:,.2f}"
