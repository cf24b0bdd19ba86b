"""The one clock of the project.

Every piece of domain code asks `now()` for the time instead of calling
`django.utils.timezone.now()` directly, so tests can move time (waits of days,
key expiry, schedules) without sleeping. `travel_to` and `advance` only affect the
current process.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.utils import timezone

_offset = timedelta(0)


def now() -> datetime:
    return timezone.now() + _offset


def advance(delta: timedelta) -> None:
    """Move the clock forward (or back, with a negative delta) for this process."""
    global _offset
    _offset += delta


def reset() -> None:
    global _offset
    _offset = timedelta(0)


@contextmanager
def travel(delta: timedelta) -> Iterator[None]:
    """Run the block `delta` in the future, then come back."""
    advance(delta)
    try:
        yield
    finally:
        advance(-delta)
