"""A real Celery worker process, on the real broker and database."""

from __future__ import annotations

import socket
import subprocess
import sys
import uuid

import pytest
from django.conf import settings

from benchbarrier.tasks import ping
from tests.processes import ROOT, process_env, subprocess_database_url, wait_until

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(tmp_path):
    name = f"test-{uuid.uuid4().hex[:8]}"
    queue = f"q-{name}"
    env = process_env(
        DATABASE_URL=subprocess_database_url(),
        REDIS_URL=settings.REDIS_URL,
        DATA_DIR=str(tmp_path),
        WORKER_HEARTBEAT_INTERVAL="1",
    )
    log = (tmp_path / "worker.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "benchbarrier", "worker", "-Q", queue,
         "-n", f"{name}@%h", "--concurrency=1", "--loglevel=INFO"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    proc.hostname = f"{name}@{socket.gethostname()}"
    proc.queue = queue
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        log.close()


def test_worker_runs_a_task_and_readyz_reports_its_heartbeat(client, worker):
    def ready():
        response = client.get("/readyz")
        return response.status_code == 200 and response.json()

    body = wait_until(ready, timeout=45, what="the worker's heartbeat in /readyz")
    assert worker.hostname in body["checks"]["workers"]["workers"]

    result = ping.apply_async(queue=worker.queue).get(timeout=30)
    assert result == {"pong": socket.gethostname()}

    worker.terminate()
    worker.wait(30)
    response = client.get("/readyz")
    assert response.status_code == 503, "a stopped worker is no longer counted"
    assert response.json()["checks"]["workers"]["ok"] is False
