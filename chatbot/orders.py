"""The order-status actions (`request_order_number`, `lookup_order_status`,
`send_tracking_info`): the bot asks for the order number, reads it from the next message
(CHATBOT_ORDER_NUMBER, the shop's form), and answers the order's status from its events
(`order.completed`, `order.shipped` with `carrier` and `trackingNumber`,
`order.delivered`). An order is only described to its own customer: the conversation's
signed-in user, or whoever gives the email address on the order (its `email`, or the
customer's).
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings

from analytics.models import Event
from chatbot.models import BotConversation
from marketing.models import Customer

ORDER_EVENTS = ("order.completed", "order.shipped", "order.delivered")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
ASK_NUMBER = "What is your order number? It is in your confirmation email (e.g. BB-10042)."
NOT_A_NUMBER = "That doesn't look like an order number. It looks like BB-10042."
ASK_EMAIL = "To keep your order private: what email address did you order with?"
NOT_YOURS = "That email doesn't match this order, so I can't share its status."
UNKNOWN = "I can't find order {number}. Could you check the number?"


def awaiting(conversation: BotConversation) -> str:
    return str(conversation.metadata.get("awaiting") or "")


def given(conversation: BotConversation, text: str) -> bool:
    """Whether `text` holds what the bot waits for (then it is that, whatever it reads as)."""
    wanted = settings.CHATBOT_ORDER_NUMBER if awaiting(conversation) == "order_number" else EMAIL
    return re.search(wanted, text) is not None


def ask_for_number(conversation: BotConversation) -> None:
    conversation.metadata["awaiting"] = "order_number"


def answer(conversation: BotConversation, text: str) -> str:
    """The bot's answer to a message while it waits for an order number or an email."""
    if awaiting(conversation) == "order_number":
        found = re.search(settings.CHATBOT_ORDER_NUMBER, text)
        if found is None:
            return NOT_A_NUMBER
        number = found.group(0).upper()
        events = _events(number)
        if not events:
            return UNKNOWN.format(number=number)
        conversation.metadata["order"] = number
        if conversation.user_id and conversation.user_id == events[0].user_id:
            return _done(conversation, events)
        conversation.metadata["awaiting"] = "order_email"
        return ASK_EMAIL
    number = str(conversation.metadata.get("order", ""))
    events = _events(number)
    given = EMAIL.search(text)
    if given is None or given.group(0).lower() not in _emails(events):
        conversation.metadata.pop("awaiting", None)
        return NOT_YOURS
    return _done(conversation, events)


def _events(number: str) -> list[Event]:
    return list(Event.objects.filter(event_name__in=ORDER_EVENTS, properties__orderId=number)
                .order_by("timestamp", "id"))  # fmt: skip


def _emails(events: list[Event]) -> set[str]:
    found = {str(e.properties.get("email", "")).lower() for e in events} - {""}
    users = {e.user_id for e in events if e.user_id}
    found |= {e.lower() for e in Customer.objects.filter(external_id__in=users)
              .values_list("email", flat=True) if e}  # fmt: skip
    return found


def _done(conversation: BotConversation, events: list[Event]) -> str:
    conversation.metadata.pop("awaiting", None)
    return status_text(events)


def status_text(events: list[Event]) -> str:
    """The order's status in words, tracking included (`send_tracking_info`)."""
    latest: dict[str, Any] = {e.event_name: e for e in events}
    number = events[0].properties.get("orderId")
    if "order.delivered" in latest:
        day = latest["order.delivered"].timestamp
        return f"Order {number} was delivered on {day:%-d %B}."
    if "order.shipped" in latest:
        shipped = latest["order.shipped"].properties
        tracking = shipped.get("trackingNumber")
        carrier = shipped.get("carrier") or "the carrier"
        return (f"Order {number} is on its way with {carrier}"
                + (f": tracking number {tracking}." if tracking else "."))  # fmt: skip
    day = latest["order.completed"].timestamp if "order.completed" in latest else None
    placed = f" (placed on {day:%-d %B})" if day else ""
    return f"Order {number}{placed} is being prepared; we'll email you when it ships."
