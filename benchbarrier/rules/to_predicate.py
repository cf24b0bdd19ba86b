"""Compile the core tree to a Python predicate over a context, for workflow conditions.

The answers are the database's (`to_q`): numbers compare as floats, text `contains` is
case-insensitive, a JSON value counts only when its type matches the rule's value, and a
missing value never matches a comparison (so `not_equals` matches it).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from benchbarrier.rules import tree
from benchbarrier.rules.fields import FieldSpec, Kind


class RuleContext(Protocol):
    """What a predicate reads: field values and event counts of one subject."""

    def value(self, field: FieldSpec) -> Any:
        """The field's value, None when it has none (a missing JSON key included)."""

    def event_count(self, name: str, since: datetime | None) -> int: ...


def to_predicate(node: tree.Node) -> Callable[[RuleContext], bool]:
    def predicate(context: RuleContext) -> bool:
        return evaluate(node, context)

    return predicate


def evaluate(node: tree.Node, context: RuleContext) -> bool:
    if isinstance(node, tree.All):
        return all(evaluate(child, context) for child in node.nodes)
    if isinstance(node, tree.Any_):
        return any(evaluate(child, context) for child in node.nodes)
    if isinstance(node, tree.Not):
        return not evaluate(node.node, context)
    if isinstance(node, tree.IsNull):
        return context.value(node.field) is None
    if isinstance(node, tree.EventsAtLeast):
        return context.event_count(node.name, node.since) >= node.count
    return _compare(node, context.value(node.field))


def _compare(node: tree.Compare, actual: Any) -> bool:
    expected = node.value
    if actual is None:
        return False
    if node.field.kind == Kind.JSON:
        if isinstance(expected, bool):
            return isinstance(actual, bool) and actual == expected
        if isinstance(expected, str):
            if not isinstance(actual, str):
                return False
        elif not _is_number(actual):
            return False
    if node.op == tree.Op.CONTAINS:
        return str(expected).lower() in str(actual).lower()
    if _is_number(expected):
        actual, expected = float(actual), float(expected)
    if node.op == tree.Op.EQ:
        return actual == expected
    if node.op == tree.Op.GT:
        return actual > expected
    if node.op == tree.Op.GE:
        return actual >= expected
    return actual < expected


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def json_value(data: Any, path: tuple[str, ...]) -> Any:
    """`data[path[0]][path[1]]...`, None when any step is missing or not an object."""
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data
