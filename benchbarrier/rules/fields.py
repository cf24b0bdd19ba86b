"""What a rule may talk about: the fields of one subject (the customer), by kind.

The rule language lives in the kernel and knows nothing about customers or events; the
app that owns the subject describes it with a `Catalogue` (see `marketing.rules`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    NUMBER = "number"
    TEXT = "text"
    BOOL = "bool"
    DATETIME = "datetime"
    JSON = "json"  # one key inside a JSON object column (`traits.plan`)


@dataclass(frozen=True)
class FieldSpec:
    """One field a rule can name. `column` is the model field; `path` the keys inside
    it for JSON fields."""

    name: str
    kind: Kind
    column: str
    nullable: bool = True
    path: tuple[str, ...] = ()
    label: str = ""

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ")


_KEY = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]|_(?!_))*$")

# Counts a subject's events named `name` at or after `since` (None: ever): used by the
# Python predicate. The SQL side gets a queryset factory instead.
EventCounter = Callable[[str, datetime | None], int]


@dataclass(frozen=True)
class Catalogue:
    """The fields of a subject, their aliases, the JSON columns open to `<column>.<key>`
    and, for event conditions, how to find the subject's events in SQL."""

    fields: dict[str, FieldSpec]
    aliases: dict[str, str] = field(default_factory=dict)
    json_columns: tuple[str, ...] = ()
    # (event name, since) -> a queryset of the matching events of the subject in
    # `OuterRef`, e.g. Event.objects.filter(user_id=OuterRef("external_id"), ...).
    event_queryset: Callable[[str, datetime | None], Any] | None = None

    def resolve(self, name: str) -> FieldSpec | None:
        """The field called `name` (an alias, or `traits.<key>[.<key>...]`), or None."""
        name = self.aliases.get(name, name)
        if name in self.fields:
            return self.fields[name]
        column, _, rest = name.partition(".")
        if column in self.json_columns and rest:
            keys = tuple(rest.split("."))
            if all(_KEY.match(key) for key in keys):
                return FieldSpec(name=name, kind=Kind.JSON, column=column, path=keys)
        return None

    def names(self) -> list[str]:
        return sorted(self.fields) + [f"{c}.<key>" for c in self.json_columns]
