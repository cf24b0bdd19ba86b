"""Bad input is a 4xx in the one JSON error format, never a 500, and never sinks its
neighbours (issue 19's findings, each reproduced first)."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.django_db


def test_an_offset_postgresql_cannot_store_rejects_that_event_only(key_client):
    api = key_client("analytics")
    answer = api.post("/api/analytics/events/batch", {"events": [
        {"eventName": "page.viewed", "userId": "u1", "messageId": "good"},
        {"eventName": "page.viewed", "userId": "u1", "messageId": "bad",
         "timestamp": "2026-11-24T12:00:00-18:00"},
    ]}, format="json")  # fmt: skip
    assert answer.status_code == 200, answer.json()
    good, bad = answer.json()["results"]
    assert good["status"] == "accepted" and bad["status"] == "rejected"
    assert bad["errors"][0]["field"] == "timestamp"


@pytest.mark.parametrize(("path", "scope", "parameter"), [
    ("/api/automation/jobs", "automation", "createdAfter"),
    ("/api/marketing/customers", "marketing", "seenAfter"),
    ("/api/automation/executions", "automation", "startedAfter"),
])  # fmt: skip
def test_an_offset_out_of_range_in_a_filter_is_a_400_naming_it(key_client, path, scope,
                                                                parameter):  # fmt: skip
    answer = key_client(scope).get(path, {parameter: "2026-11-24T12:00:00-18:07"})
    assert answer.status_code == 400, answer.content
    assert answer.json()["errors"][0]["field"] == parameter


@pytest.mark.parametrize("path", ["/api/analytics/events/batch", "/api/marketing/segments",
                                  "/api/marketing/segments/preview"])  # fmt: skip
@pytest.mark.parametrize(
    "body", ["[" * 100_000, "[" * 1000 + "]" * 1000, '{"a":' * 900 + "1" + "}" * 900]
)
def test_json_nested_too_deep_is_malformed_json(key_client, path, body):
    api = key_client("analytics", "marketing")
    answer = api.post(path, data=body, content_type="application/json")
    assert answer.status_code == 400, answer.content
    assert answer.json()["code"] == "malformed_json"


def test_a_body_over_the_size_limit_is_a_json_413(key_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    api = key_client("analytics")
    body = json.dumps({"events": [{"eventName": "x" * 2000, "userId": "u"}]})
    answer = api.post("/api/analytics/events/batch", data=body, content_type="application/json")
    assert answer.status_code == 413
    assert answer["Content-Type"] == "application/json"
    assert answer.json()["code"] == "too_large"


def test_with_redis_unreachable_the_api_still_answers_and_jobs_are_queued(key_client, settings,
                                                                          caplog):  # fmt: skip
    from jobs.models import Job

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:9/0", "KEY_PREFIX": "down"}}  # fmt: skip
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:9/0"
    api = key_client("automation", "analytics")
    made = api.post("/api/automation/jobs", {"jobType": "jobs.noop"}, format="json")
    assert made.status_code == 201, made.content  # stored; the beat tick wakes a worker later
    assert Job.objects.filter(job_type="jobs.noop").exists()
    stored = api.post("/api/analytics/events", {"eventName": "page.viewed", "userId": "u1"},
                      format="json")  # fmt: skip
    assert stored.status_code == 201
    assert "throttle counters unreachable" in caplog.text


def test_a_noop_job_survives_a_crash_like_any_other():
    from jobs.registry import get_handler

    assert get_handler("jobs.noop").max_attempts == 3  # one lost run does not fail it


@pytest.mark.parametrize("path", ["/api/analytics/events/batch", "/api/marketing/products"])
def test_a_nul_character_anywhere_in_a_body_is_malformed_json(key_client, path):
    api = key_client("analytics", "marketing")
    body = (
        '{"events": [{"eventName": "x", "userId": "u", "properties": {"a": "b\\u0000"}}], '
        '"products": [{"productId": "p", "name": "n", "attributes": {"k\\u0000": 1}}]}'
    )
    answer = api.post(path, data=body, content_type="application/json")
    assert answer.status_code == 400 and answer.json()["code"] == "malformed_json"
