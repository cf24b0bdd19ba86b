"""Analytics' source of one person's data, in the kernel's registry: their events."""

from __future__ import annotations

from analytics.models import Event
from benchbarrier.personal_data import Rows, Source, register_source


def _events(user_id: str) -> Rows:
    rows = Event.objects.filter(user_id=user_id).order_by("timestamp", "id")
    for row in rows.values("id", "event_name", "session_id", "timestamp", "properties").iterator(
        chunk_size=2000
    ):
        yield row | {"timestamp": row["timestamp"].isoformat()}


register_source(Source("events", "everything the site and the back office recorded", _events))
