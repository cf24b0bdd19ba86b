"""Orders forwarded to GA4 as `purchase` events through the Measurement Protocol, when
GA4_MEASUREMENT_ID and GA4_API_SECRET are set: server-side, so ad blockers and closed tabs
lose none. Each request holds one client's events, 25 at most (the protocol's limit);
names and parameters are kept within its limits (event and parameter names of 40
characters, 25 parameters, string values of 100 characters, 200 items), and an order older
than 72 hours, which GA4 would drop, is skipped and counted. GA4 counts a purchase once
per `transaction_id` (the order id), so a retried request adds nothing.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.conf import settings

from analytics.models import Event
from benchbarrier import clock, outbound

MAX_EVENTS = 25
MAX_NAME = 40
MAX_PARAMS = 25
MAX_VALUE = 100
MAX_ITEMS = 200
MAX_AGE = timedelta(hours=72)
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,39}$")


def configured() -> bool:
    return bool(settings.GA4_MEASUREMENT_ID and settings.GA4_API_SECRET)


def purchase(event: Event) -> dict[str, Any]:
    """An `order.completed` as GA4's `purchase`, within the protocol's limits."""
    properties = event.properties
    items = [item for item in properties.get("items") or [] if isinstance(item, dict)]
    params = {
        "transaction_id": properties.get("orderId") or event.message_id,
        "value": _number(properties.get("total")),
        "currency": str(properties.get("currency") or settings.REPORTING_CURRENCY).upper(),
        "items": [_item(item) for item in items[:MAX_ITEMS]],
    }
    if properties.get("discountCode"):
        params["coupon"] = properties["discountCode"]
    return {"name": "purchase", "params": limited(params)}


def limited(params: dict[str, Any]) -> dict[str, Any]:
    """Parameters the protocol accepts: valid names, 25 at most, strings cut to 100."""
    kept = {}
    for name, value in params.items():
        if not NAME.match(name) or len(kept) == MAX_PARAMS:
            continue
        kept[name] = value[:MAX_VALUE] if isinstance(value, str) else value
    return kept


def _item(item: dict[str, Any]) -> dict[str, Any]:
    found = {
        "item_id": item.get("productId") or item.get("sku") or item.get("id"),
        "item_name": item.get("name"), "item_category": item.get("category"),
        "price": _number(item.get("price")), "quantity": item.get("quantity") or 1,
    }  # fmt: skip
    return limited({k: str(v) if k.startswith("item_") else v
                    for k, v in found.items() if v is not None})  # fmt: skip


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def forward(event_ids: list[int]) -> dict[str, int]:
    """Post the orders among `event_ids`; {"sent": n, "requests": n, "tooOld": n}."""
    oldest = clock.now() - MAX_AGE
    by_client: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    too_old = 0
    for event in Event.objects.filter(pk__in=event_ids, event_name="order.completed"
                                      ).order_by("timestamp", "id"):  # fmt: skip
        if event.timestamp < oldest:
            too_old += 1
            continue
        client = str(event.properties.get("gaClientId") or event.session_id or event.user_id
                     or event.message_id)  # fmt: skip
        sent = purchase(event) | {"timestamp_micros": int(event.timestamp.timestamp() * 1e6)}
        by_client[(client, event.user_id or "")].append(sent)
    requests = sent_count = 0
    query = urlencode({"measurement_id": settings.GA4_MEASUREMENT_ID,
                       "api_secret": settings.GA4_API_SECRET})  # fmt: skip
    for (client, user), events in by_client.items():
        for start in range(0, len(events), MAX_EVENTS):
            body = {"client_id": client, "events": events[start : start + MAX_EVENTS]}
            if user:
                body["user_id"] = user
            outbound.post(f"{settings.GA4_MP_URL}?{query}", json.dumps(body).encode(),
                          {"Content-Type": "application/json"},
                          allowed_hosts=settings.GA4_MP_ALLOWED_HOSTS)  # fmt: skip
            requests += 1
            sent_count += len(body["events"])
    return {"sent": sent_count, "requests": requests, "tooOld": too_old}
