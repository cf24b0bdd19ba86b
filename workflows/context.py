"""Values from the execution's context inside step settings: a string that is exactly
`{{ trigger.cartId }}` becomes that value (any JSON type); other strings, numbers and
lists are kept, objects are resolved key by key."""

from __future__ import annotations

import re
from typing import Any

from benchbarrier.rules import json_value

_REFERENCE = re.compile(r"^\{\{\s*([A-Za-z_][\w.]*)\s*\}\}$")


def lookup(context: dict[str, Any], path: str) -> Any:
    """The value at a dotted path (`trigger.cartId`), None where it is missing."""
    return json_value(context, tuple(path.split(".")))


def resolve_values(value: Any, context: dict[str, Any]) -> Any:
    if isinstance(value, str):
        match = _REFERENCE.match(value)
        return lookup(context, match.group(1)) if match else value
    if isinstance(value, dict):
        return {key: resolve_values(item, context) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve_values(item, context) for item in value]
    return value


def references(value: Any) -> list[str]:
    """Every `{{ path }}` a setting refers to (for validation)."""
    if isinstance(value, str):
        match = _REFERENCE.match(value)
        return [match.group(1)] if match else []
    if isinstance(value, dict):
        return [ref for item in value.values() for ref in references(item)]
    if isinstance(value, list):
        return [ref for item in value for ref in references(item)]
    return []
