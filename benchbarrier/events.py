"""The event bus: who consumes events, and how a stored batch reaches them.

    from benchbarrier.events import BusEvent, consumer

    @consumer("marketing.customer_stats")
    def update_stats(events: list[BusEvent]) -> None: ...

Apps register consumers in their own `consumers.py`, found at start-up like `admin.py`
(KernelConfig.ready); the kernel imports none of them.

Delivery is durable and goes through the job queue: the app that stores events
(`analytics`) queues, in the same transaction, a `bus.deliver` job naming the stored
batch, and that job hands the batch to every consumer through `deliver`. Hence:

- a batch whose transaction committed reaches every consumer, even if the process that
  stored it dies right after the commit; a batch rolled back reaches none;
- delivery is at least once (a worker killed after a consumer's commit but before its
  job was marked completed delivers again), and `deliver` turns that into once per
  consumer: the consumer runs in one transaction with a marker (consumer, batch) and a
  batch already marked is skipped. So a consumer's effects must be writes in that
  transaction; anything outside the database (an email, an HTTP call) is a job it
  queues there;
- a consumer that raises is rolled back alone and retried with the job; the consumers
  that succeeded are not run again;
- within a batch a consumer gets the events it wants in timestamp order (then storage
  order). Across batches nothing is promised: batches are delivered concurrently by
  several workers, so consumers must not depend on it (counters add, times take the
  min or max, runs are keyed by their trigger event).
A consumer works on the whole batch in bulk (up to thousands of events): a fixed number
of queries, never one per event.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction

from benchbarrier import clock
from benchbarrier.bulk_sql import insert_rows
from benchbarrier.models.bus import BusDelivery


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


ConsumerFunc = Callable[[list[BusEvent]], None]


@dataclass(frozen=True)
class Consumer:
    name: str
    func: ConsumerFunc
    events: frozenset[str] | None = None  # the event names it wants; None: every event
    description: str = ""
    order: int = 100  # lower first: what others rely on (customers exist) goes early

    def wants(self, event_name: str) -> bool:
        return self.events is None or event_name in self.events


_consumers: dict[str, Consumer] = {}


def consumer(
    name: str, *, events: Iterable[str] | None = None, description: str = "", order: int = 100
) -> Callable[[ConsumerFunc], ConsumerFunc]:
    """Register `func` as the consumer `name` (of `events` only, when given). Consumers
    run on each batch by `order`, lowest first, each in its own transaction."""

    def register(func: ConsumerFunc) -> ConsumerFunc:
        existing = _consumers.get(name)
        if existing is not None and existing.func is not func:
            raise ValueError(f'event consumer "{name}" is already registered: {existing.func}')
        _consumers[name] = Consumer(
            name,
            func,
            frozenset(events) if events is not None else None,
            description or (func.__doc__ or "").strip().split("\n")[0],
            order,
        )
        return func

    return register


def unregister(name: str) -> None:
    """Remove a consumer (tests that add their own)."""
    _consumers.pop(name, None)


def consumers() -> list[Consumer]:
    """The registered consumers, by `order` (then registration order)."""
    return sorted(_consumers.values(), key=lambda c: c.order)


def anyone_wants(event_names: Iterable[str]) -> bool:
    """Whether some consumer wants at least one of these event names."""
    names = set(event_names)
    return any(c.events is None or c.events & names for c in _consumers.values())


def deliver(target: Consumer, batches: dict[str, list[BusEvent]]) -> int:
    """Hand `target` the events of every batch (batch key -> events) it has not
    processed yet, in one transaction with the markers saying it has. Returns how many
    events it got. If the consumer raises, nothing of it (markers included) is kept."""
    with transaction.atomic():
        fresh = _mark(target.name, list(batches))
        events = sorted(
            (e for key in fresh for e in batches[key] if target.wants(e.event_name)),
            key=lambda e: (e.timestamp, e.id),
        )
        if events:
            target.func(events)
    return len(events)


def _mark(consumer_name: str, batch_keys: list[str]) -> list[str]:
    """Record that `consumer_name` takes these batches; returns those it had not yet."""
    now = clock.now()
    returned = insert_rows(
        BusDelivery._meta.db_table,
        [("consumer", "text"), ("batch", "text"), ("delivered_at", "timestamptz")],
        [(consumer_name, key, now) for key in batch_keys],
        on_conflict="ON CONFLICT (consumer, batch) DO NOTHING",
        returning="batch",
        staged=False,
    )
    return [row[0] for row in returned]


def prune_deliveries(*, older_than: timedelta) -> int:
    """Forget markers older than `older_than`: by then their jobs are long finished, so
    no delivery of those batches can come again."""
    deleted, _ = BusDelivery.objects.filter(delivered_at__lt=clock.now() - older_than).delete()
    return deleted
