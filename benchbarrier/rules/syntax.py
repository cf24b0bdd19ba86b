"""Parse and validate rules as marketers and the site write them.

    [{"field": "total_spent", "operator": "greater_than", "value": 1000},
     {"field": "total_orders", "operator": "greater_than", "value": 5, "combinator": "and"},
     {"any": [{"field": "traits.plan", "operator": "equals", "value": "gold"},
              {"event": "product.viewed", "atLeast": 3, "within": "7d"}],
      "combinator": "or"},
     {"event": "order.completed", "did": false, "since": "30_days_ago"}]

A rule's `combinator` joins it to the rule before it (default `and`); `and` binds
tighter than `or`, as in SQL. `{"all": [...]}` and `{"any": [...]}` group explicitly.
Every problem is reported with its path: `rules[2].operator: unknown operator "gt"`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from benchbarrier.durations import parse_duration
from benchbarrier.rules import tree
from benchbarrier.rules.fields import Catalogue, FieldSpec, Kind
from benchbarrier.rules.values import TimeValue, parse_time_value

OPERATORS = ("equals", "not_equals", "contains", "greater_than", "less_than", "in", "not_in")
COMBINATORS = ("and", "or")
EVENT_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
MAX_LIST = 500
MAX_DEPTH = 8

_OPERATORS_BY_KIND = {
    Kind.NUMBER: ("equals", "not_equals", "greater_than", "less_than", "in", "not_in"),
    Kind.TEXT: ("equals", "not_equals", "contains", "in", "not_in"),
    Kind.BOOL: ("equals", "not_equals"),
    Kind.DATETIME: ("equals", "not_equals", "greater_than", "less_than"),
    Kind.JSON: OPERATORS,
}
_CONDITION_KEYS = {"field", "operator", "value", "combinator"}
_EVENT_KEYS = {"event", "did", "atLeast", "since", "within", "combinator"}


class RuleError(ValueError):
    """Invalid rules. `errors` is a list of (path, message), every problem at once."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{path}: {message}" for path, message in errors))


@dataclass(frozen=True)
class Condition:
    field: FieldSpec
    operator: str
    value: Any  # number, str, bool, None, TimeValue, or a list of those


@dataclass(frozen=True)
class EventCondition:
    name: str
    did: bool
    at_least: int
    since: TimeValue | None
    within: Any  # timedelta | None


@dataclass(frozen=True)
class Group:
    kind: str  # "all" | "any"
    items: tuple[Any, ...]


@dataclass(frozen=True)
class RuleSet:
    """Validated rules. `lower(now)` gives the core tree the compilers read."""

    root: Group
    source: Any

    def lower(self, now: datetime) -> tree.Node:
        return _lower(self.root, now)

    def event_names(self) -> set[str]:
        return set(_event_names(self.root))


def parse_rules(data: Any, catalogue: Catalogue, path: str = "rules") -> RuleSet:
    """Validate `data` (a rule list or one group) against the catalogue's fields.

    Raises RuleError naming every bad rule by path.
    """
    errors: list[tuple[str, str]] = []
    if isinstance(data, dict) and ("all" in data or "any" in data):
        root = _parse_item(data, catalogue, path, errors, depth=0)
    elif isinstance(data, list):
        root = _parse_sequence(data, catalogue, path, errors, depth=0)
    else:
        errors.append((path, 'expected a list of rules or a group like {"all": [...]}'))
        root = None
    if errors:
        raise RuleError(errors)
    if not isinstance(root, Group):
        raise RuleError([(path, "expected a list of rules")])
    return RuleSet(root=root, source=data)


def _parse_sequence(
    items: list[Any], catalogue: Catalogue, path: str, errors: list, depth: int
) -> Group | None:
    """Split on `or` into groups of `and`-joined rules: a and b or c = (a and b) or c."""
    if not items:
        errors.append((path, "needs at least one rule"))
        return None
    disjuncts: list[list[Any]] = [[]]
    for index, item in enumerate(items):
        item_path = f"{path}[{index}]"
        combinator = item.get("combinator", "and") if isinstance(item, dict) else "and"
        if combinator not in COMBINATORS:
            errors.append(
                (f"{item_path}.combinator", f'must be "and" or "or", not {_quote(combinator)}')
            )
        elif combinator == "or" and index > 0:
            disjuncts.append([])
        disjuncts[-1].append(_parse_item(item, catalogue, item_path, errors, depth))
    return Group("any", tuple(Group("all", tuple(conj)) for conj in disjuncts))


def _parse_item(item: Any, catalogue: Catalogue, path: str, errors: list, depth: int) -> Any:
    if not isinstance(item, dict):
        errors.append((path, "a rule must be an object with field, operator and value"))
        return None
    for kind in ("all", "any"):
        if kind in item:
            return _parse_group(kind, item, catalogue, path, errors, depth)
    if "event" in item:
        return _parse_event(item, path, errors)
    return _parse_condition(item, catalogue, path, errors)


def _parse_group(
    kind: str, item: dict, catalogue: Catalogue, path: str, errors: list, depth: int
) -> Group | None:
    """`{"all": [...]}` joins its rules with and, `{"any": [...]}` with or."""
    extra = set(item) - {kind, "combinator"}
    if extra:
        errors.append((path, f'a group takes only "{kind}" and combinator, not {_names(extra)}'))
    rules, rules_path = item[kind], f"{path}.{kind}"
    if not isinstance(rules, list) or not rules:
        errors.append((rules_path, "must be a non-empty list of rules"))
        return None
    if depth >= MAX_DEPTH:
        errors.append((rules_path, f"groups nest deeper than {MAX_DEPTH} levels"))
        return None
    items = []
    for index, rule in enumerate(rules):
        rule_path = f"{rules_path}[{index}]"
        if isinstance(rule, dict) and "combinator" in rule:
            errors.append(
                (
                    f"{rule_path}.combinator",
                    f'inside "{kind}" every rule is joined by '
                    f"{'and' if kind == 'all' else 'or'}; remove combinator",
                )
            )
        items.append(_parse_item(rule, catalogue, rule_path, errors, depth + 1))
    return Group(kind, tuple(items))


def _parse_condition(item: dict, catalogue: Catalogue, path: str, errors: list) -> Any:
    unknown = set(item) - _CONDITION_KEYS
    if unknown:
        errors.append(
            (path, f"unknown key {_names(unknown)}; a rule has field, operator, value, combinator")
        )
    missing = [key for key in ("field", "operator") if key not in item]
    for key in missing:
        errors.append((f"{path}.{key}", "is required"))
    if "value" not in item:
        errors.append((f"{path}.value", "is required (use null to test for no value)"))
    if missing or "value" not in item:
        return None
    name, operator = item["field"], item["operator"]
    spec = catalogue.resolve(name) if isinstance(name, str) else None
    if spec is None:
        errors.append(
            (
                f"{path}.field",
                f"unknown field {_quote(name)}; known: {', '.join(catalogue.names())}",
            )
        )
    if operator not in OPERATORS:
        errors.append(
            (
                f"{path}.operator",
                f"unknown operator {_quote(operator)}; use one of {', '.join(OPERATORS)}",
            )
        )
        return None
    if spec is None:
        return None
    if operator not in _OPERATORS_BY_KIND[spec.kind]:
        errors.append(
            (
                f"{path}.operator",
                f'{operator} does not apply to {spec.kind} field "{spec.name}"; use one of '
                + ", ".join(_OPERATORS_BY_KIND[spec.kind]),
            )
        )
        return None
    value = _parse_value(spec, operator, item["value"], f"{path}.value", errors)
    return Condition(spec, operator, value)


def _parse_value(spec: FieldSpec, operator: str, value: Any, path: str, errors: list) -> Any:
    if operator in ("in", "not_in"):
        if not isinstance(value, list) or not value:
            errors.append((path, f"{operator} needs a non-empty list of values"))
            return None
        if len(value) > MAX_LIST:
            errors.append((path, f"at most {MAX_LIST} values"))
            return None
        return [
            _parse_scalar(spec, "equals", v, f"{path}[{i}]", errors) for i, v in enumerate(value)
        ]
    return _parse_scalar(spec, operator, value, path, errors)


def _parse_scalar(spec: FieldSpec, operator: str, value: Any, path: str, errors: list) -> Any:
    if value is None:
        if operator not in ("equals", "not_equals"):
            errors.append((path, f"null only works with equals and not_equals, not {operator}"))
        return None
    if isinstance(value, dict | list):
        errors.append((path, "must be a single value, not an object or a list"))
        return None
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    kind = spec.kind
    if kind == Kind.JSON:
        if operator in ("greater_than", "less_than") and not is_number:
            errors.append((path, f'{operator} on "{spec.name}" needs a number'))
        elif operator == "contains" and not isinstance(value, str):
            errors.append((path, f'contains on "{spec.name}" needs text'))
        return value
    if kind == Kind.NUMBER and not is_number:
        errors.append((path, f'"{spec.name}" is a number; {json.dumps(value)} is not'))
    elif kind == Kind.TEXT and not isinstance(value, str):
        errors.append((path, f'"{spec.name}" is text; use a quoted value'))
    elif kind == Kind.BOOL and not isinstance(value, bool):
        errors.append((path, f'"{spec.name}" is true or false; {json.dumps(value)} is neither'))
    elif kind == Kind.DATETIME:
        if not isinstance(value, str):
            errors.append(
                (path, f'"{spec.name}" is a time: use "30_days_ago", "today" or an ISO date')
            )
            return None
        try:
            return parse_time_value(value)
        except ValueError as exc:
            errors.append((path, str(exc)))
            return None
    return value


def _parse_event(item: dict, path: str, errors: list) -> EventCondition | None:
    unknown = set(item) - _EVENT_KEYS
    if unknown:
        errors.append(
            (
                path,
                f"unknown key {_names(unknown)}; an event rule has event, did, atLeast, "
                "since or within, combinator",
            )
        )
    name = item["event"]
    if not isinstance(name, str) or not EVENT_NAME.match(name):
        errors.append(
            (f"{path}.event", f'{_quote(name)} is not an event name like "order.completed"')
        )
    did = item.get("did", True)
    if not isinstance(did, bool):
        errors.append((f"{path}.did", "must be true or false"))
    at_least = item.get("atLeast", 1)
    if (
        isinstance(at_least, bool)
        or not isinstance(at_least, int)
        or not 1 <= at_least <= 1_000_000
    ):
        errors.append((f"{path}.atLeast", "must be a whole number from 1"))
    elif did is False and at_least != 1:
        errors.append((f"{path}.atLeast", 'does not combine with "did": false'))
    if "since" in item and "within" in item:
        errors.append((path, "give since or within, not both"))
    since = within = None
    if "since" in item:
        try:
            since = parse_time_value(item["since"]) if isinstance(item["since"], str) else None
        except ValueError as exc:
            errors.append((f"{path}.since", str(exc)))
        else:
            if since is None:
                errors.append((f"{path}.since", 'must be a time like "30_days_ago"'))
    if "within" in item:
        try:
            within = parse_duration(item["within"]) if isinstance(item["within"], str) else None
        except ValueError as exc:
            errors.append((f"{path}.within", str(exc)))
        else:
            if within is None:
                errors.append((f"{path}.within", 'must be a duration like "7d"'))
    if isinstance(name, str) and isinstance(did, bool) and isinstance(at_least, int):
        return EventCondition(name, did, at_least, since, within)
    return None


def _names(keys: set[str]) -> str:
    return ", ".join(f'"{key}"' for key in sorted(keys))


def _quote(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)


# --- lowering to the core tree ---------------------------------------------------------


def _lower(node: Any, now: datetime) -> tree.Node:
    if isinstance(node, Group):
        nodes = tuple(_lower(item, now) for item in node.items)
        if len(nodes) == 1:
            return nodes[0]
        return tree.All(nodes) if node.kind == "all" else tree.Any_(nodes)
    if isinstance(node, EventCondition):
        since = None
        if node.since is not None:
            since = node.since.resolve(now)[0]
        elif node.within is not None:
            since = now - node.within
        events = tree.EventsAtLeast(node.name, node.at_least, since)
        return events if node.did else tree.Not(events)
    return _lower_condition(node, now)


def _lower_condition(cond: Condition, now: datetime) -> tree.Node:
    field, operator, value = cond.field, cond.operator, cond.value
    if operator == "in":
        return tree.Any_(tuple(_equals(field, v, now) for v in value))
    if operator == "not_in":
        return tree.Not(tree.Any_(tuple(_equals(field, v, now) for v in value)))
    if operator == "equals":
        return _equals(field, value, now)
    if operator == "not_equals":
        return tree.Not(_equals(field, value, now))
    if operator == "contains":
        return tree.Compare(field, tree.Op.CONTAINS, value)
    if isinstance(value, TimeValue):
        start, end = value.resolve(now)
        if operator == "greater_than":
            return (
                tree.Compare(field, tree.Op.GE, end)
                if end
                else tree.Compare(field, tree.Op.GT, start)
            )
        return tree.Compare(field, tree.Op.LT, start)
    return tree.Compare(field, tree.Op.GT if operator == "greater_than" else tree.Op.LT, value)


def _equals(field: FieldSpec, value: Any, now: datetime) -> tree.Node:
    if value is None:
        return tree.IsNull(field)
    if isinstance(value, TimeValue):
        start, end = value.resolve(now)
        if end is None:
            return tree.Compare(field, tree.Op.EQ, start)
        return tree.All(
            (tree.Compare(field, tree.Op.GE, start), tree.Compare(field, tree.Op.LT, end))
        )
    return tree.Compare(field, tree.Op.EQ, value)


def _event_names(node: Any) -> list[str]:
    if isinstance(node, Group):
        return [name for item in node.items for name in _event_names(item)]
    return [node.name] if isinstance(node, EventCondition) else []
