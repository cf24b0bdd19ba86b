"""What the support bot can do when it understands a message: the actions an intent lists
(`{"type": "lookup_order_status"}`), registered by the app that owns the data (chatbot:
orders and handoff; marketing: the product catalogue) as they register job handlers and
steps. The kernel holds the shape and the registry and names no app.

An action runs when its intent is read. It may answer (its text replaces the intent's
response), wait for the customer's next message (a slot: the order number), escalate to
a person, or resolve the conversation; when it fails (`ActionFailed`) the conversation
goes to a person.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class ActionFailed(Exception):
    """The action could not do its work; a person takes over (the message says why)."""


@dataclass
class Turn:
    """One customer message as an action sees it. `state` is the conversation's metadata
    (the action keeps what it needs across turns there, under its own keys)."""

    text: str
    intent: str
    user_id: str
    channel: str
    state: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Reply:
    text: str = ""
    awaiting: str = ""  # this action reads the customer's next message (a slot to fill)
    escalate: str = ""  # why a person should take over
    resolve: bool = False  # the bot's work is done
    details: dict[str, Any] = field(default_factory=dict)  # kept on the bot's message


@dataclass(frozen=True)
class Action:
    name: str
    description: str
    run: Callable[[Turn], Reply | None]
    # The customer's next message when this action waits for it (`Reply.awaiting`).
    resume: Callable[[Turn], Reply] | None = None
    # Whether a message holds what the action waits for (else the customer moved on).
    expects: Callable[[Turn], bool] | None = None


_actions: dict[str, Action] = {}


def register_action(action: Action) -> Action:
    _actions[action.name] = action
    return action


def unregister_action(name: str) -> None:
    _actions.pop(name, None)


def get_action(name: str) -> Action | None:
    return _actions.get(name)


def registered() -> list[Action]:
    return sorted(_actions.values(), key=lambda a: a.name)
