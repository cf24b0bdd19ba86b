"""The registry of channels messages go out through (email, SMS, push; social posting
next). The kernel holds the shape and the registry; the app that owns a channel fills it
(marketing registers its three in `marketing/channels.py`) and the kernel names none."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet


@dataclass(frozen=True)
class Channel:
    """Who can receive it (consent and an address), how a campaign's message to one
    person is recorded, how a batch is sent (job type, function), its spend service,
    its provider webhooks, and how its message statuses read as a campaign send's."""

    name: str  # a campaign's type
    label: str  # "1,204 in segment, 1,150 can receive <label>"
    message_field: str  # the campaign send's link to its message
    spend_service: str
    job_type: str
    reachable: Callable[[QuerySet[Any]], QuerySet[Any]]
    send: Callable[[list[int]], dict[int, Exception]]
    # A campaign's message to one customer: (campaign, customer, idempotency key) -> id.
    record: Callable[[Any, Any, str], int] | None = None
    outcomes: dict[str, str] = field(default_factory=dict)  # message status -> send status
    webhooks: tuple[str, ...] = ()
    problems: Callable[[Any], list[tuple[str, str]]] = lambda campaign: []


_channels: dict[str, Channel] = {}


def register(channel: Channel) -> Channel:
    _channels[channel.name] = channel
    return channel


def get(name: str) -> Channel | None:
    return _channels.get(name)


def names() -> list[str]:
    return list(_channels)
