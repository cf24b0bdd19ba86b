"""The core form both compilers read: a few node types with every relative value
resolved. `syntax.parse_rules(...).lower(now)` builds it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from benchbarrier.rules.fields import FieldSpec


class Op(StrEnum):
    EQ = "eq"
    GT = "gt"
    GE = "ge"
    LT = "lt"
    CONTAINS = "contains"  # case-insensitive substring, text only


@dataclass(frozen=True)
class Compare:
    """True when the field has a value of the value's type and `field <op> value` holds;
    a missing value (NULL, absent JSON key, other JSON type) is never a match."""

    field: FieldSpec
    op: Op
    value: Any


@dataclass(frozen=True)
class IsNull:
    field: FieldSpec


@dataclass(frozen=True)
class EventsAtLeast:
    """The subject has at least `count` events named `name` at or after `since`."""

    name: str
    count: int
    since: datetime | None


@dataclass(frozen=True)
class Not:
    node: Node


@dataclass(frozen=True)
class All:
    nodes: tuple[Node, ...]


@dataclass(frozen=True)
class Any_:
    nodes: tuple[Node, ...]


Node = Compare | IsNull | EventsAtLeast | Not | All | Any_
