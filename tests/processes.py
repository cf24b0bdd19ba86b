"""Helpers for tests that start real processes (Celery workers, `make run`)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
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


class CeleryProcesses:
    """Starts real `celery -A benchbarrier ...` processes (and the web process, under
    gunicorn) against the test database and Redis, with logs in tmp_path; `stop_all`
    kills whatever is left."""

    def __init__(self, tmp_path: Path, redis_url: str) -> None:
        self.tmp_path = tmp_path
        self.redis_url = redis_url
        self.procs: list[subprocess.Popen] = []

    def start(self, *args: str, name: str, **env: str) -> subprocess.Popen:
        return self._spawn(
            [sys.executable, "-m", "celery", "-A", "benchbarrier", *args, "--loglevel=INFO"],
            name=name, **env,
        )  # fmt: skip

    def web(self, port: int, **env: str) -> subprocess.Popen:
        """gunicorn serving the project on 127.0.0.1:`port` (its own process group, so
        `kill_group` takes the master and its workers down together)."""
        return self._spawn(
            [sys.executable, "-m", "gunicorn", "benchbarrier.wsgi", "--bind",
             f"127.0.0.1:{port}", "--workers", "2"],
            name="web", new_group=True, **env,
        )  # fmt: skip

    def _spawn(
        self, command: list[str], *, name: str, new_group: bool = False, **env: str
    ) -> subprocess.Popen:
        full_env = process_env(
            **{
                "DATABASE_URL": subprocess_database_url(),
                "REDIS_URL": self.redis_url,
                "DATA_DIR": str(self.tmp_path),
                "WORKER_HEARTBEAT_INTERVAL": "1",
                "JOBS_HANDLER_MODULES": "tests.jobs.handlers",
                **env,
            }
        )
        log = (self.tmp_path / f"{name}.log").open("w")
        proc = subprocess.Popen(
            command, cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=new_group,
        )  # fmt: skip
        proc.log_path = self.tmp_path / f"{name}.log"
        proc.own_group = new_group
        self.procs.append(proc)
        return proc

    def worker(self, name: str, *args: str, **env: str) -> subprocess.Popen:
        return self.start("worker", "-n", f"{name}@%h", *args, name=name, **env)

    def beat(self, **env: str) -> subprocess.Popen:
        return self.start(
            "beat", "--pidfile=", f"--schedule={self.tmp_path / 'beat-schedule'}", name="beat",
            **env,
        )  # fmt: skip

    @staticmethod
    def kill_group(proc: subprocess.Popen) -> None:
        """`kill -9` a process started with its own group, children included."""
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.own_group:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
            if proc.poll() is None:
                proc.kill()
            proc.wait(10)

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.log_path.name}\n{p.log_path.read_text()[-3000:]}" for p in self.procs
        )
