"""Short human durations (`30m`, `24h`, `3d`, `2w`) as used by workflows, key rotation
and the command line."""

from __future__ import annotations

import re
from datetime import timedelta

_PATTERN = re.compile(r"^\s*(\d+)\s*(s|m|h|d|w)\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str) -> timedelta:
    """Parse `<number><unit>` with unit s, m, h, d or w.

    Raises ValueError with a message that shows the accepted form.
    """
    match = _PATTERN.match(text or "")
    if not match:
        raise ValueError(
            f'"{text}" is not a duration: use a number and a unit s, m, h, d or w, like "30m" '
            'or "3d"'
        )
    amount, unit = match.groups()
    try:
        return timedelta(**{_UNITS[unit]: int(amount)})
    except OverflowError:
        raise ValueError(f'"{text}" is longer than any duration this can keep') from None
