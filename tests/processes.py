"""Helpers for tests that start real processes (Celery workers, `make run`)."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
SERVER_VARIABLES = {"DATABASE_URL", "REDIS_URL", "CACHE_URL"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def process_env(**overrides: str) -> dict[str, str]:
    """This process's environment without its server URLs, plus `overrides`."""
    env = {k: v for k, v in os.environ.items() if k not in SERVER_VARIABLES}
    env.update(overrides)
    return env


def subprocess_database_url() -> str:
    """A DATABASE_URL for the test database pytest-django created (PostgreSQL)."""
    s = connection.settings_dict
    auth = quote(s["USER"] or "")
    if s["PASSWORD"]:
        auth += ":" + quote(s["PASSWORD"])
    return f"postgres://{auth}@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{s['NAME']}"


def wait_until(check: Callable[[], object], *, timeout: float, what: str) -> object:
    """Poll `check` until it returns something truthy; fail naming `what` on timeout."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = check()
        except Exception as exc:
            last_error = exc
        else:
            if result:
                return result
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last_error})")
