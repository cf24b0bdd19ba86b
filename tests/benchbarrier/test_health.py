from __future__ import annotations

from datetime import timedelta

import pytest

from benchbarrier import clock
from benchbarrier.services.workers import record_worker_heartbeat, record_worker_stopped

pytestmark = pytest.mark.django_db


def test_healthz_answers_even_for_an_unknown_host_over_http(client, settings):
    settings.ALLOWED_HOSTS = ["ops.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/healthz", HTTP_HOST="10.0.0.7")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_without_a_worker_is_503_and_says_why(client):
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True
    assert body["checks"]["workers"]["ok"] is False
    assert "no worker heartbeat" in body["checks"]["workers"]["message"]


def test_readyz_with_a_fresh_heartbeat_is_200(client):
    record_worker_heartbeat(hostname="celery@box1", pid=123, starting=True)
    response = client.get("/readyz/")
    assert response.status_code == 200
    assert response.json()["checks"]["workers"]["workers"] == ["celery@box1"]


def test_a_stale_or_stopped_worker_does_not_count(client, settings):
    record_worker_heartbeat(hostname="celery@box1", pid=123, starting=True)
    clock.advance(timedelta(seconds=settings.WORKER_HEARTBEAT_MAX_AGE + 1))
    assert client.get("/readyz").status_code == 503
    record_worker_heartbeat(hostname="celery@box1", pid=123)
    assert client.get("/readyz").status_code == 200
    record_worker_stopped(hostname="celery@box1")
    assert client.get("/readyz").status_code == 503


def test_every_response_carries_a_request_id(client):
    assert len(client.get("/api/keys")["X-Request-ID"]) == 32
    echoed = client.get("/api/keys", HTTP_X_REQUEST_ID="abc-123")
    assert echoed["X-Request-ID"] == "abc-123"
    unsafe = client.get("/api/keys", HTTP_X_REQUEST_ID="<script>")
    assert unsafe["X-Request-ID"] != "<script>"
