"""Analytics' part of the kernel's personal-data registry: the source of an export (their
events), the eraser (their events and rollup rows keep their figures under a pseudonym,
their customer exports are deleted), and the retention of raw events
(EVENT_RETENTION_DAYS)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from django.core.files.storage import default_storage

from analytics.models import Buyer, Event, OrderHour, Signup, Subscription
from benchbarrier.personal_data import (
    Person,
    Retention,
    Rows,
    Source,
    in_chunks,
    register_eraser,
    register_retention,
    register_source,
)
from jobs.models import Job

# What an erased person's events keep of their properties, beside numbers and true/false:
# ids of things (keys ending in "Id"), and these, which the figures read and name no one
# (amounts may come as text: "19.90").
KEPT_TEXT = {"total", "amount", "revenue", "value", "price", "quantity", "currency",
             "source", "medium", "campaign", "template", "category", "plan", "interval",
             "status", "discountCode", "utm_source", "utm_medium", "utm_campaign"}  # fmt: skip
KEPT_LISTS = {"items", "products"}  # what was bought or viewed, not who


def _events(user_id: str) -> Rows:
    rows = Event.objects.filter(user_id=user_id).order_by("timestamp", "id")
    for row in rows.values("id", "event_name", "session_id", "timestamp", "properties").iterator(
        chunk_size=2000
    ):
        yield row | {"timestamp": row["timestamp"].isoformat()}


register_source(Source("events", "everything the site and the back office recorded", _events))


def kept_properties(properties: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in properties.items()
            if isinstance(value, (int, float, bool)) or value is None
            or (isinstance(value, str) and (key in KEPT_TEXT or key.endswith("Id")))
            or (isinstance(value, list) and key in KEPT_LISTS)}  # fmt: skip


def _erase(person: Person) -> dict[str, int]:
    if not person.user_id:
        return {}
    events = list(Event.objects.filter(user_id=person.user_id).only("pk", "session_id",
                                                                    "properties"))  # fmt: skip
    for event in events:
        event.user_id = person.pseudonym
        event.session_id = event.session_id and "erased-" + hashlib.sha256(
            f"{person.pseudonym}:{event.session_id}".encode()).hexdigest()[:16]  # fmt: skip
        event.properties = kept_properties(event.properties)
    Event.objects.bulk_update(events, ["user_id", "session_id", "properties"], batch_size=1000)
    done = {"events": len(events)}
    for name, model in (("order_hours", OrderHour), ("buyers", Buyer), ("signups", Signup),
                        ("subscriptions", Subscription)):  # fmt: skip
        done[name] = model.objects.filter(user_id=person.user_id).update(user_id=person.pseudonym)
    exports = Job.objects.filter(job_type="data.export", payload__userId=person.user_id)
    for job in exports:
        if isinstance(job.result, dict) and job.result.get("file"):
            default_storage.delete(job.result["file"])
    done["exports"] = exports.update(payload={"kind": "customer", "userId": person.pseudonym},
                                     result={"erased": True})  # fmt: skip
    return done


register_eraser("analytics", _erase)


def _prune_events(before: datetime) -> int:
    """Raw events before then are deleted; the figures they made live on in the rollups
    (revenue, orders, buyers, signups, subscriptions) and in each customer's totals."""
    return in_chunks(Event.objects.filter(timestamp__lt=before),
                     lambda rows: rows.delete()[0])  # fmt: skip


register_retention(Retention("events", "raw events: deleted (rollups keep the figures)",
                             "EVENT_RETENTION_DAYS", _prune_events))  # fmt: skip
