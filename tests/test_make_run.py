"""Smoke test of the README's first command: `make run` on a temporary SQLite database."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request

from tests.processes import ROOT, free_port, process_env, wait_until

PING = (
    "import django; django.setup(); from benchbarrier.tasks import ping; "
    "print(ping.delay().get(timeout=30))"
)


def get_json(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_make_run_serves_works_and_stops_on_ctrl_c(tmp_path):
    port = free_port()
    env = process_env(
        DATA_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path / 'smoke.sqlite3'}",
        DJANGO_SETTINGS_MODULE="benchbarrier.settings",
    )
    log_path = tmp_path / "make-run.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            ["make", "run", f"PORT={port}"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: get_json(f"{base}/healthz")[0] == 200, timeout=120, what="/healthz")
        _status, body = wait_until(
            lambda: (r := get_json(f"{base}/readyz"))[0] == 200 and r,
            timeout=60,
            what="/readyz to report the worker",
        )
        assert body["checks"]["workers"]["ok"] is True
        answer = subprocess.run(
            [sys.executable, "-c", PING], cwd=ROOT, env=env, capture_output=True, text=True,
            timeout=60,
        )  # fmt: skip
        assert "'pong'" in answer.stdout, answer.stderr

        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=30)
        wait_until(lambda: not group_alive(proc.pid), timeout=15, what="all processes to stop")
    finally:
        if group_alive(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)
    output = log_path.read_text()
    assert "username 'demo', password 'demo'" in output
    for name in ("web.1", "worker.1", "beat.1"):
        assert f"{name} " in output, f"{name} did not start"
    assert "celery@" in output
    assert "ready." in output
    assert (tmp_path / "smoke.sqlite3").exists()
