"""What the shop holds about one person, wherever it lives: each app registers the sources
it owns (analytics: their events; marketing: the profile, messages, memberships, codes),
keyed by the site's user id, and the kernel names none. The GDPR access right (a
`data.export` of kind `customer`) reads them all; erasure will walk the same registry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

Rows = Iterable[dict[str, Any]]


@dataclass(frozen=True)
class Source:
    name: str  # the file it becomes in an export: <name>.json
    description: str
    rows: Callable[[str], Rows]  # the site's user id -> its rows, as JSON-able dicts


_sources: dict[str, Source] = {}


def register_source(source: Source) -> Source:
    _sources[source.name] = source
    return source


def sources() -> list[Source]:
    return sorted(_sources.values(), key=lambda s: s.name)
