"""Web push: subscriptions the shop's site registers for a customer's browsers, and
notifications queued to a customer (sent to each live subscription by `push.send`;
a subscription the push service has forgotten, 404 or 410, is removed)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction

from analytics.services import store_events
from analytics.validation import EventInput
from benchbarrier import clock
from jobs.services import enqueue
from marketing.message_events import message_event
from marketing.models import Customer
from marketing.push.models import PushMessage, PushSubscription

SEND = "push.send"


class PushError(ValueError):
    """Bad input; `errors` holds (field, message) pairs."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors))


def subscription_errors(endpoint: Any, p256dh: Any, auth: Any) -> list[tuple[str, str]]:
    errors = []
    parts = urlsplit(endpoint) if isinstance(endpoint, str) else None
    allowed = parts is not None and parts.hostname in settings.PUSH_ALLOWED_HOSTS
    if parts is None or not parts.hostname or (parts.scheme != "https" and not allowed):
        errors.append(("subscription.endpoint", "the push service's https address"))
    for field, value, size in [("p256dh", p256dh, 65), ("auth", auth, 16)]:
        if _raw_length(value) != size:
            errors.append((f"subscription.keys.{field}",
                           f"the browser's {size}-byte key, base64url-encoded"))  # fmt: skip
    return errors


def _raw_length(value: Any) -> int:
    if not isinstance(value, str):
        return -1
    try:
        return len(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    except (binascii.Error, ValueError):
        return -1


def subscribe(
    *, customer: Customer, endpoint: str, p256dh: str, auth: str, user_agent: str = ""
) -> tuple[PushSubscription, bool]:
    """Record a browser's subscription for the customer (again: its keys refreshed)."""
    errors = subscription_errors(endpoint, p256dh, auth)
    if errors:
        raise PushError(errors)
    return PushSubscription.objects.update_or_create(
        endpoint=endpoint,
        defaults={"customer": customer, "p256dh": p256dh, "auth": auth,
                  "user_agent": user_agent[:300]},
    )  # fmt: skip


def queue_push(
    *,
    customer: Customer,
    title: str,
    body: str = "",
    url: str = "",
    idempotency_key: str,
    source: str = "",
    send_after: datetime | None = None,
    job: bool = True,
) -> PushMessage:
    """Record a notification and queue its `push.send` job (once per key; without
    `job`, a campaign's sender sends it)."""
    existing = PushMessage.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        message = PushMessage.objects.create(
            customer=customer, title=title[:200], body=body[:500], url=url,
            idempotency_key=idempotency_key, source=source[:300], send_after=send_after,
        )  # fmt: skip
        if job:
            key = f"push.send:{message.pk}"
            enqueue(job_type=SEND, payload={"messageId": message.pk},
                    scheduled_for=send_after, idempotency_key=key)  # fmt: skip
    return message


def tracked_url(message: PushMessage) -> str:
    """Where a click on the notification goes: through the click tracker."""
    if not message.url:
        return ""
    return f"{settings.SITE_URL.rstrip('/')}/p/{message.pk}.{check(message.pk)}"


def shown_url(message: PushMessage) -> str:
    """The beacon the service worker calls when it shows the notification (the push
    counterpart of an email's open)."""
    return f"{settings.SITE_URL.rstrip('/')}/p/{message.pk}.{check(message.pk)}/shown"


def record_shown(message: PushMessage) -> None:
    stamped = PushMessage.objects.filter(pk=message.pk, shown_at__isnull=True).update(
        shown_at=clock.now()
    )
    if stamped:
        store_events([push_event(message, "push.shown", {})])


def check(message_id: int) -> str:
    key = f"{settings.SECRET_KEY}:push-link".encode()
    return hmac.new(key, str(message_id).encode(), hashlib.sha256).hexdigest()[:10]


def record_click(message: PushMessage) -> str:
    stamped = PushMessage.objects.filter(pk=message.pk, clicked_at__isnull=True).update(
        clicked_at=clock.now()
    )
    if stamped:
        store_events([push_event(message, "push.clicked", {"url": message.url})])
    return message.url


def push_event(message: Any, name: str, properties: dict[str, Any]) -> EventInput:
    return message_event(message, name, "pushId", properties)
