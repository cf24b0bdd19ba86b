"""`{{variable}}` templates: find the names a template uses, render it with exactly those
values, and name any missing or unexpected one."""

from __future__ import annotations

import re
from typing import Any

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


class VariableError(ValueError):
    """Variables that do not fit the template; `errors` maps `variables.<name>` to why."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{field}: {why}" for field, why in errors.items()))


def placeholders(template: str) -> list[str]:
    """The variable names a template uses, in order of first use."""
    return list(dict.fromkeys(PLACEHOLDER.findall(template)))


def render(template: str, values: dict[str, Any], declared: list[str] | None = None) -> str:
    """Fill the template; raises VariableError for a missing or unknown variable."""
    needed = declared if declared else placeholders(template)
    errors = {
        f"variables.{name}": "required by the template, not given"
        for name in needed
        if name not in values or values[name] in (None, "")
    }
    errors |= {
        f"variables.{name}": f"unknown variable; the template takes {', '.join(needed) or 'none'}"
        for name in values
        if name not in needed
    }
    if errors:
        raise VariableError(errors)
    return PLACEHOLDER.sub(lambda m: _text(values[m.group(1)]), template)


def _text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    return str(value)
