"""What alert rules can watch: each signal measures one thing over a window, per group (a
job type, a workflow, a budget...), and names the admin page that shows the cause. Apps
register the signals of the data they own from their `monitoring.py` (jobs: the queue
and failures; workflows: failed runs; marketing: email delivery); the kernel registers
its own (spend) and names no app."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal


@dataclass(frozen=True)
class Measurement:
    value: Decimal
    volume: int | None = None  # how many events the value is of (rates: min_count)
    detail: str = ""  # what a person should know beyond the value


@dataclass(frozen=True)
class Signal:
    name: str
    description: str
    unit: str  # "jobs", "%", "x", "runs"
    measure: Callable[[timedelta, datetime], dict[str, Measurement]]  # (window, now) -> groups
    link: Callable[[str], str]  # group -> the admin path that shows the cause
    sampled: bool = False  # kept every evaluation for the operations page's charts


_signals: dict[str, Signal] = {}


def register_signal(signal: Signal) -> Signal:
    _signals[signal.name] = signal
    return signal


def get_signal(name: str) -> Signal | None:
    return _signals.get(name)


def signals() -> list[Signal]:
    return sorted(_signals.values(), key=lambda s: s.name)
