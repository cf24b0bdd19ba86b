"""The events a message puts on the bus (`email.sent`, `sms.clicked`, `push.sent`...)."""

from __future__ import annotations

from typing import Any

from analytics.validation import EventInput
from benchbarrier import clock


def message_event(message: Any, name: str, id_key: str, properties: dict[str, Any]) -> EventInput:
    """One event per message and name (its message id makes a repeat a no-op), about
    the message's customer."""
    customer = message.customer
    return EventInput(
        event_name=name,
        user_id=customer.external_id if customer else None,
        session_id=None,
        message_id=f"{name}:{message.pk}",
        timestamp=clock.now(),
        properties={id_key: message.pk, **properties},
    )
