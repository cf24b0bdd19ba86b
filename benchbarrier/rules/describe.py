"""Rules in words, for the admin and the API (`rulesText`):

    total spent > 1000 and total orders > 5
    (trait plan is "gold" or did product.viewed at least 3 times within 7d)

Works on raw input too, so even rules that fail validation can be shown."""

from __future__ import annotations

import json
from typing import Any

_OPERATORS = {
    "equals": "is",
    "not_equals": "is not",
    "contains": "contains",
    "greater_than": ">",
    "less_than": "<",
    "in": "is one of",
    "not_in": "is none of",
}


def describe_rules(data: Any) -> str:
    if isinstance(data, dict) and ("all" in data or "any" in data):
        return _item(data, top=True)
    if not isinstance(data, list) or not data:
        return "(no rules)"
    return _sequence(data)


def _sequence(items: list[Any]) -> str:
    parts = []
    for index, item in enumerate(items):
        text = _item(item)
        if index:
            combinator = item.get("combinator", "and") if isinstance(item, dict) else "and"
            parts.append(str(combinator))
        parts.append(text)
    return " ".join(parts)


def _item(item: Any, top: bool = False) -> str:
    if not isinstance(item, dict):
        return json.dumps(item)
    for kind, joiner in (("all", " and "), ("any", " or ")):
        if kind in item and isinstance(item[kind], list):
            text = joiner.join(_item(inner) for inner in item[kind])
            return text if top else f"({text})"
    if "event" in item:
        return _event(item)
    field = str(item.get("field", "?"))
    if field.startswith("traits."):
        field = "trait " + field.removeprefix("traits.")
    else:
        field = field.replace("_", " ")
    operator = _OPERATORS.get(item.get("operator"), str(item.get("operator")))
    value = item.get("value")
    if value is None and operator in ("is", "is not"):
        return f"{field} {operator} empty"
    return f"{field} {operator} {_value(value)}"


def _event(item: dict[str, Any]) -> str:
    did = item.get("did", True) is not False
    text = f"did {item['event']}" if did else f"did not {item['event']}"
    at_least = item.get("atLeast", 1)
    if did and at_least != 1:
        text += f" at least {at_least} times"
    if "within" in item:
        text += f" within {item['within']}"
    elif "since" in item:
        text += f" since {str(item['since']).replace('_', ' ')}"
    return text


def _value(value: Any) -> str:
    if isinstance(value, str):
        return value.replace("_", " ") if value.endswith("_ago") else json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return json.dumps(value)
