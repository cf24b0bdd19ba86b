"""What the shop holds about one person, wherever it lives, and what it does with it: each
app's `personal_data.py` registers (the kernel names no app):

- **sources** of one person's rows, keyed by the site's user id: the GDPR access right (a
  `data.export` of kind `customer`) reads them all;
- an **eraser**: the erasure right. `erase_everywhere` runs every app's eraser, each in one
  transaction of its own, for a `Person`; erasers delete what no figure needs and
  irreversibly anonymise the rest (the person's ids replaced by a random pseudonym that
  nothing maps back), so aggregate figures stay as they were;
- **retention** rules: rows older than a setting's days are pruned or anonymised by the
  daily `privacy.prune` job (`prune_expired`).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction

Rows = Iterable[dict[str, Any]]


@dataclass(frozen=True)
class Source:
    name: str  # the file it becomes in an export: <name>.json
    description: str
    rows: Callable[[str], Rows]  # the site's user id -> its rows, as JSON-able dicts


@dataclass(frozen=True)
class Person:
    """Whom an erasure is for: the site's user id (None for a customer known only by
    address), the addresses the shop knew them by, the shop's own customer id, and the
    pseudonym that replaces the user id where figures need a stand-in."""

    user_id: str | None
    emails: frozenset[str] = frozenset()
    phones: frozenset[str] = frozenset()
    customer_id: int | None = None
    pseudonym: str = field(default_factory=lambda: f"erased-{secrets.token_hex(8)}")


Eraser = Callable[[Person], dict[str, int]]  # -> rows erased or anonymised, by kind


@dataclass(frozen=True)
class Retention:
    name: str
    description: str
    setting: str  # days to keep; 0 keeps for ever
    prune: Callable[[datetime], int]  # rows before this moment -> how many it pruned


_sources: dict[str, Source] = {}
_erasers: dict[str, Eraser] = {}
_retention: dict[str, Retention] = {}


def register_source(source: Source) -> Source:
    _sources[source.name] = source
    return source


def sources() -> list[Source]:
    return sorted(_sources.values(), key=lambda s: s.name)


def register_eraser(app: str, eraser: Eraser) -> Eraser:
    _erasers[app] = eraser
    return eraser


def register_retention(rule: Retention) -> Retention:
    _retention[rule.name] = rule
    return rule


def retention_rules() -> list[Retention]:
    return sorted(_retention.values(), key=lambda r: r.name)


def holds_anything(user_id: str) -> bool:
    """Whether any source has a row about this user id."""
    return any(next(iter(source.rows(user_id)), None) is not None for source in sources())


def erase_everywhere(person: Person) -> dict[str, dict[str, int]]:
    """Every app's eraser, each in one transaction; what each erased, by app."""
    done: dict[str, dict[str, int]] = {}
    for app in sorted(_erasers):
        with transaction.atomic():
            done[app] = {kind: n for kind, n in _erasers[app](person).items() if n}
    return done


def prune_expired(now: datetime) -> dict[str, int]:
    """Every retention rule whose setting is above 0: rows older than that many days."""
    pruned: dict[str, int] = {}
    for rule in retention_rules():
        days = getattr(settings, rule.setting)
        if days > 0:
            pruned[rule.name] = rule.prune(now - timedelta(days=days))
    return pruned


def address_digest(address: str) -> str:
    """What an erased address is remembered as (to keep it suppressed): its SHA-256."""
    return hashlib.sha256(address.strip().lower().encode()).hexdigest()


def stand_in_address(address: str) -> str:
    """An address that replaces an erased one in rows kept for figures: still distinct
    per address, naming no one, undeliverable (.invalid)."""
    return f"erased-{address_digest(address)[:24]}@erased.invalid"


def in_chunks(queryset: Any, apply: Callable[[Any], int], size: int = 5000) -> int:
    """`apply` to the rows of `queryset` a chunk of primary keys at a time, each chunk in its
    own transaction (a retention pass over millions of rows never holds one long lock).
    `apply` must make a row leave `queryset` (delete it, or anonymise what it matched)."""
    total = 0
    while True:
        keys = list(queryset.values_list("pk", flat=True)[:size])
        if not keys:
            return total
        with transaction.atomic():
            total += apply(queryset.model.objects.filter(pk__in=keys))
        if len(keys) < size:
            return total


def _erase_from_audit(person: Person) -> dict[str, int]:
    """The kernel's own: audit entries whose changes name the person keep what was done,
    by whom and when, and lose what they said about them."""
    from django.db.models import Q

    from benchbarrier.services.audit import forget_in_audit

    named = Q(pk__in=[])
    if person.user_id:
        named |= Q(changes__userId=person.user_id) | Q(changes__externalId=person.user_id)
    for address in person.emails:
        named |= Q(changes__email=address)
    return {"audit_entries": forget_in_audit(named)}


register_eraser("benchbarrier", _erase_from_audit)
