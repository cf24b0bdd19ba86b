"""Typed readers for settings that come from the environment (12-factor).

Every setting the project reads from the environment goes through these helpers, so a
bad value fails at start-up with a message naming the variable instead of surfacing
later as a confusing type error.
"""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean: use 1/0, true/false, yes/no")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number") from None


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    """A comma-separated list; blanks are dropped."""
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_prefixed(prefix: str) -> dict[str, str]:
    """Every variable that starts with `prefix`, keyed by the rest of its name:
    `env_prefixed("ANYMAIL_")` turns ANYMAIL_POSTMARK_SERVER_TOKEN into
    {"POSTMARK_SERVER_TOKEN": ...}."""
    return {
        name.removeprefix(prefix): value
        for name, value in os.environ.items()
        if name.startswith(prefix) and value
    }


def every(task: str, seconds: float) -> dict[str, dict]:
    """A celery-beat entry running the task of that name every so many seconds."""
    return {task: {"task": task, "schedule": float(seconds)}}
