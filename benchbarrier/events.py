"""The event bus: one signal, sent after a batch of events is committed.

    from benchbarrier.events import events_stored

    @receiver(events_stored)
    def on_events(sender, events: list[BusEvent], **kwargs): ...

`analytics` stores events and sends; `marketing` (customer stats) and `workflows`
(event triggers) listen. A listener gets the whole batch (up to thousands of events)
and must work on it in bulk: no query per event. A listener that raises is logged and
does not stop the others, nor fail the request that stored the events.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)

events_stored = Signal()


@dataclass(frozen=True, slots=True)
class BusEvent:
    """An event as stored (`analytics_events`): duplicates never reach the bus."""

    id: int
    event_name: str
    user_id: str | None
    session_id: str | None
    message_id: str
    timestamp: datetime
    properties: dict[str, Any] = field(default_factory=dict)


def publish_after_commit(sender: Any, events: list[BusEvent]) -> None:
    """Send `events_stored` once the current transaction commits (at once outside one)."""
    if events:
        transaction.on_commit(lambda: _send(sender, events))


def _send(sender: Any, events: list[BusEvent]) -> None:
    for receiver, result in events_stored.send_robust(sender, events=events):
        if isinstance(result, Exception):
            logger.error(
                "event listener %s failed on a batch of %d events",
                getattr(receiver, "__qualname__", receiver),
                len(events),
                exc_info=result,
            )
