"""What analytics does with events from the bus (see benchbarrier.events)."""

from __future__ import annotations

from analytics import measurement_protocol
from benchbarrier.events import BusEvent, consumer
from jobs.services import enqueue


@consumer("analytics.ga4_forward", events={"order.completed"}, order=90)
def forward_orders_to_ga4(events: list[BusEvent]) -> None:
    """Orders queued for GA4's Measurement Protocol (when it is configured)."""
    if measurement_protocol.configured() and events:
        enqueue(job_type="analytics.forward", payload={"eventIds": [e.id for e in events]})
