"""Positions in a step tree. A cursor is a list: ["steps", 3, "ifTrue", 0] is the first
step of the `ifTrue` branch of the fourth top-level step, written `steps[3].ifTrue[0]`."""

from __future__ import annotations

from typing import Any

Cursor = list[Any]
START: Cursor = ["steps", 0]


def text(cursor: Cursor) -> str:
    out = ""
    for part in cursor:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def step_at(definition: dict[str, Any], cursor: Cursor) -> dict[str, Any] | None:
    node: Any = definition
    for part in cursor:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node if isinstance(node, dict) else None


def after(definition: dict[str, Any], cursor: Cursor) -> Cursor | None:
    """The step after `cursor`: the next one in its list, else the one after the step
    whose branch this list is; None at the end of the workflow."""
    while cursor:
        *parent, index = cursor
        following = [*parent, index + 1]
        if step_at(definition, following) is not None:
            return following
        if len(parent) <= 1:
            return None
        cursor = parent[:-1]  # the step that holds this branch
    return None


def into(definition: dict[str, Any], cursor: Cursor, branch: str) -> Cursor | None:
    """The first step of `branch` of the step at `cursor`, or the step after it when the
    branch is empty or absent."""
    first = [*cursor, branch, 0]
    if step_at(definition, first) is not None:
        return first
    return after(definition, cursor)
