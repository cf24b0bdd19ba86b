"""What marketing does with events from the bus (see benchbarrier.events)."""

from __future__ import annotations

from benchbarrier.events import BusEvent, consumer
from marketing import stats


@consumer("marketing.customer_stats")
def update_customer_stats(events: list[BusEvent]) -> None:
    """Customer stats (orders, spend, views, email engagement, first/last seen)."""
    stats.apply_events(events)
