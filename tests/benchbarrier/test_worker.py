"""A real Celery worker process, on the real broker and database."""

from __future__ import annotations

import socket
import uuid

import pytest

from benchbarrier.tasks import ping
from tests.processes import wait_until

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]


def test_worker_runs_a_task_and_readyz_reports_its_heartbeat(client, celery_procs):
    name = f"test-{uuid.uuid4().hex[:8]}"
    queue = f"q-{name}"
    worker = celery_procs.worker(name, "-Q", queue, "--concurrency=1")

    def ready():
        response = client.get("/readyz")
        return response.status_code == 200 and response.json()

    body = wait_until(ready, timeout=45, what="the worker's heartbeat in /readyz")
    assert f"{name}@{socket.gethostname()}" in body["checks"]["workers"]["workers"]

    result = ping.apply_async(queue=queue).get(timeout=30)
    assert result == {"pong": socket.gethostname()}

    worker.terminate()
    worker.wait(30)
    response = client.get("/readyz")
    assert response.status_code == 503, "a stopped worker is no longer counted"
    assert response.json()["checks"]["workers"]["ok"] is False
