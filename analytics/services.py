"""Event ingestion: validate, drop what was seen before, store the rest in one
statement, and queue their delivery to the bus's consumers in the same transaction."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from analytics import rollups
from analytics.bus import queue_delivery
from analytics.models import Event
from analytics.validation import EventInput, FieldError, validate_event
from benchbarrier import clock
from benchbarrier.bulk_sql import insert_rows
from benchbarrier.events import BusEvent

MAX_BATCH = 1000
# Rows per INSERT (SQLite binds each value: 7 x 1,000 stays below its limit).
_CHUNK = 1000
_COLUMNS = [("event_name", "text"), ("user_id", "text"), ("session_id", "text"),
            ("message_id", "text"), ("properties", "jsonb"), ("timestamp", "timestamptz"),
            ("created_at", "timestamptz")]  # fmt: skip


class Status:
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


@dataclass(slots=True)
class ItemResult:
    index: int
    status: str
    message_id: str | None = None
    id: int | None = None
    errors: list[FieldError] = field(default_factory=list)


@dataclass(slots=True)
class BatchResult:
    items: list[ItemResult]
    stored: list[BusEvent]

    def count(self, status: str) -> int:
        return sum(1 for item in self.items if item.status == status)


def record_events(items: list[Any]) -> BatchResult:
    """Store the valid, unseen events of `items` (raw dicts as the site sends them).

    Each item is accepted (stored now), a duplicate (its messageId was stored before, or
    earlier in the same batch) or rejected (with its field errors). Nothing of a
    rejected item is stored; the other items are. The stored events are delivered to
    the bus's consumers by a job queued in the same transaction.
    """
    now = clock.now()
    results: list[ItemResult] = []
    fresh: list[tuple[int, EventInput]] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        checked = validate_event(item, now)
        if isinstance(checked, list):
            results.append(ItemResult(index, Status.REJECTED, _message_id(item), errors=checked))
        elif checked.message_id in seen:
            results.append(ItemResult(index, Status.DUPLICATE, checked.message_id))
        else:
            seen.add(checked.message_id)
            results.append(ItemResult(index, Status.ACCEPTED, checked.message_id))
            fresh.append((index, checked))
    stored = store_events([event for _, event in fresh], now=now)
    ids = {event.message_id: event.id for event in stored}
    for index, event in fresh:
        result = results[index]
        result.id = ids.get(event.message_id)
        if result.id is None:
            result.status = Status.DUPLICATE
    return BatchResult(results, stored)


def store_events(events: Iterable[EventInput], *, now: Any = None) -> list[BusEvent]:
    """Insert validated events, skipping message ids already stored, and queue the
    stored ones' delivery to the bus in the same transaction (so they reach every
    consumer if and only if they commit). Used by ingestion and by apps that emit their
    own events (`segment.entered`, `email.opened`)."""
    events = list(events)
    if not events:
        return []
    now = now or clock.now()
    stored: list[BusEvent] = []
    with transaction.atomic():
        for start in range(0, len(events), _CHUNK):
            stored.extend(_insert(events[start : start + _CHUNK], now))
        rollups.apply(stored)
        queue_delivery(stored)
    return stored


def _insert(events: list[EventInput], now: Any) -> list[BusEvent]:
    rows = [
        (
            event.event_name,
            event.user_id,
            event.session_id,
            event.message_id,
            json.dumps(event.properties, separators=(",", ":")),
            event.timestamp,
            now,
        )
        for event in events
    ]
    returned = insert_rows(
        Event._meta.db_table,
        _COLUMNS,
        rows,
        on_conflict="ON CONFLICT (message_id) DO NOTHING",
        returning="id, message_id",
    )
    ids = {message_id: pk for pk, message_id in returned}
    return [
        BusEvent(
            id=ids[event.message_id],
            event_name=event.event_name,
            user_id=event.user_id,
            session_id=event.session_id,
            message_id=event.message_id,
            timestamp=event.timestamp,
            properties=event.properties,
        )
        for event in events
        if event.message_id in ids
    ]


def _message_id(item: Any) -> str | None:
    value = item.get("messageId") if isinstance(item, dict) else None
    return value if isinstance(value, str) else None
