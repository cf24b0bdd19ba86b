"""The bot's own actions (the registry is the kernel's; marketing adds the catalogue's):
the order status with its slot filling, a person on request, and the end of a
conversation the bot resolved."""

from __future__ import annotations

from benchbarrier.bot_actions import Action, Reply, Turn, register_action
from chatbot import orders


def _request_number(turn: Turn) -> Reply | None:
    # A number given with the question is looked up at once (by lookup_order_status).
    return None if orders.number_in(turn.text) else orders.ask(turn)


def _lookup(turn: Turn) -> Reply:
    if not orders.number_in(turn.text):
        return orders.ask(turn, orders.ASK_NUMBER)
    return orders.lookup(turn)


register_action(Action(
    "request_order_number", "Ask for the order number (unless the message gives it).",
    run=_request_number,
))  # fmt: skip
register_action(Action(
    orders.ACTION, "The order's status from its events, to its own customer only.",
    run=_lookup, resume=orders.resume, expects=orders.expects,
))  # fmt: skip
register_action(Action(
    "send_tracking_info", "The carrier and tracking number of the order just discussed.",
    run=orders.tracking,
))  # fmt: skip
register_action(Action(
    "handoff", "Bring in a person from the team.",
    run=lambda turn: Reply(escalate="asked for a person"),
))  # fmt: skip
register_action(Action(
    "resolve", "The bot's work is done (thanks, goodbye).",
    run=lambda turn: Reply(resolve=True),
))  # fmt: skip
