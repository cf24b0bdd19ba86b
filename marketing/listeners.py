"""What marketing does with events from the bus (connected in MarketingConfig.ready)."""

from __future__ import annotations

from typing import Any

from benchbarrier.events import BusEvent
from marketing import stats


def update_customer_stats(sender: Any, events: list[BusEvent], **kwargs: Any) -> None:
    stats.apply_events(events)
