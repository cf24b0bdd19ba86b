"""Where is my order: the bot asks for the order number, reads it from the next message
(CHATBOT_ORDER_NUMBER, the shop's form), and answers the order's status from its events
(`order.completed`, `order.shipped` with `carrier` and `trackingNumber`,
`order.delivered`). An order is only described to its own customer: the conversation's
signed-in user, or whoever gives the email address on the order (its `email`, or the
customer's). What it waits for lives in the turn's state (`orderSlot`, `order`).
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings

from analytics.models import Event
from benchbarrier.bot_actions import Reply, Turn
from marketing.models import Customer

ORDER_EVENTS = ("order.completed", "order.shipped", "order.delivered")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
ASK_NUMBER = "What is your order number? It is in your confirmation email (e.g. BB-10042)."
NOT_A_NUMBER = "That doesn't look like an order number. It looks like BB-10042."
ASK_EMAIL = "To keep your order private: what email address did you order with?"
NOT_YOURS = "That email doesn't match this order, so I can't share its status."
UNKNOWN = "I can't find order {number}. Could you check the number?"
ACTION = "lookup_order_status"


def number_in(text: str) -> str:
    found = re.search(settings.CHATBOT_ORDER_NUMBER, text)
    return found.group(0).upper() if found else ""


def expects(turn: Turn) -> bool:
    """Whether the message holds what the bot waits for (then it is that, whatever it
    reads as)."""
    if turn.state.get("orderSlot") == "email":
        return EMAIL.search(turn.text) is not None
    return bool(number_in(turn.text))


def ask(turn: Turn, text: str = "") -> Reply:
    """Wait for the order number (the intent's response asks for it unless `text` does)."""
    turn.state["orderSlot"] = "number"
    return Reply(text=text, awaiting=ACTION)


def lookup(turn: Turn) -> Reply:
    """The status of the order the message names, or what the bot needs to give it."""
    number = number_in(turn.text)
    if not number:
        return ask(turn, NOT_A_NUMBER)
    events = _events(number)
    if not events:
        turn.state.pop("orderSlot", None)
        return Reply(UNKNOWN.format(number=number))
    turn.state["order"] = number
    if turn.user_id and turn.user_id == events[0].user_id:
        return _told(turn, events)
    turn.state["orderSlot"] = "email"
    return Reply(ASK_EMAIL, awaiting=ACTION)


def resume(turn: Turn) -> Reply:
    """The customer's answer to the bot's question: the number, or the email on the order."""
    if turn.state.get("orderSlot") != "email":
        return lookup(turn)
    events = _events(str(turn.state.get("order", "")))
    given = EMAIL.search(turn.text)
    if not events or given is None or given.group(0).lower() not in _emails(events):
        turn.state.pop("orderSlot", None)
        return Reply(NOT_YOURS)
    turn.state["verifiedEmail"] = given.group(0).lower()  # the conversation's customer
    return _told(turn, events)


def tracking(turn: Turn) -> Reply | None:
    """The tracking of the order this conversation was told about, if it shipped."""
    events = _events(str(turn.state.get("toldOrder", "")))
    shipped = [e for e in events if e.event_name == "order.shipped"]
    return Reply(status_text(events)) if shipped else None


def _events(number: str) -> list[Event]:
    if not number:
        return []
    return list(Event.objects.filter(event_name__in=ORDER_EVENTS, properties__orderId=number)
                .order_by("timestamp", "id"))  # fmt: skip


def _emails(events: list[Event]) -> set[str]:
    found = {str(e.properties.get("email", "")).lower() for e in events} - {""}
    users = {e.user_id for e in events if e.user_id}
    found |= {e.lower() for e in Customer.objects.filter(external_id__in=users)
              .values_list("email", flat=True) if e}  # fmt: skip
    return found


def _told(turn: Turn, events: list[Event]) -> Reply:
    turn.state.pop("orderSlot", None)
    turn.state["toldOrder"] = turn.state.pop("order", "")
    return Reply(status_text(events), details={"order": turn.state["toldOrder"]})


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
