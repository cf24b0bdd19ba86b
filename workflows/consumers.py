"""What the workflow engine does with events from the bus (see benchbarrier.events)."""

from __future__ import annotations

from benchbarrier.events import BusEvent, consumer
from workflows import triggers


@consumer("workflows.triggers")
def on_events(events: list[BusEvent]) -> None:
    """Start event-triggered runs, end runs on exit events, wake runs waiting for events."""
    triggers.on_events(events)
