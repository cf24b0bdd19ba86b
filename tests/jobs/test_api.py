from __future__ import annotations

import pytest

from benchbarrier.models import AuditLogEntry
from jobs import runner
from jobs.models import Job, JobStatus
from jobs.services import enqueue
from tests.api_errors import error_fields

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(key_client):
    return key_client("automation")


def test_create_job_keeps_the_payload_as_sent(client):
    response = client.post(
        "/api/automation/jobs",
        {"jobType": "test.greet", "payload": {"email": "a@example.com"}, "priority": 5},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["jobType"] == "test.greet"
    assert body["status"] == "pending"
    assert body["maxAttempts"] == 3
    assert body["payload"] == {"email": "a@example.com"}
    assert AuditLogEntry.objects.filter(action="job.enqueued", target_id=body["id"]).exists()


def test_payload_keys_are_not_rewritten(client):
    payload = {"cart_id": "c1", "lineItems": [{"sku_code": "X"}]}
    job, _ = enqueue(job_type="jobs.noop", payload=payload)
    assert client.get(f"/api/automation/jobs/{job.pk}").json()["payload"] == payload
    created = client.post(
        "/api/automation/jobs", {"jobType": "jobs.noop", "payload": payload}, format="json"
    )
    assert Job.objects.get(pk=created.json()["id"]).payload == payload


def test_a_repeated_idempotency_key_answers_200_with_the_first_job(client):
    body = {"jobType": "jobs.noop", "idempotencyKey": "order-77"}
    first = client.post("/api/automation/jobs", body, format="json")
    second = client.post("/api/automation/jobs", body, format="json")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"jobType": "email.sned"}, "jobType", "invalid"),
        ({"jobType": "test.greet", "payload": {"email": 5}}, "payload.email", "invalid"),
        ({"jobType": "test.greet", "payload": {}}, "payload", "invalid"),
        ({"jobType": "jobs.noop", "maxAttempts": -1}, "maxAttempts", "min_value"),
        ({"jobType": "jobs.noop", "scheduledFor": "next tuesday"}, "scheduledFor", "invalid"),
        ({"jobType": "jobs.noop", "priority": "high"}, "priority", "invalid"),
        ({"payload": {}}, "jobType", "required"),
        ({"jobType": "jobs.noop", "runAt": "2030-01-01"}, "runAt", "unknown_field"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_inserts_nothing(client, body, field, code):
    response = client.post("/api/automation/jobs", body, format="json")
    assert response.status_code == 400
    assert error_fields(response) == {field: code}
    assert not Job.objects.exists()


def test_unknown_type_message_names_it(client):
    response = client.post("/api/automation/jobs", {"jobType": "email.sned"}, format="json")
    assert 'unknown job type "email.sned"' in response.json()["message"]


def test_bulk_create_is_all_or_nothing_with_per_item_errors(client):
    jobs = [{"jobType": "jobs.noop"}] * 3 + [
        {"jobType": "nope"},
        {"jobType": "jobs.noop", "maxAttempts": 0},
    ]
    response = client.post("/api/automation/jobs/bulk", {"jobs": jobs}, format="json")
    assert response.status_code == 400
    assert error_fields(response) == {
        "jobs[3].jobType": "invalid",
        "jobs[4].maxAttempts": "min_value",
    }
    assert not Job.objects.exists()
    ok = client.post("/api/automation/jobs/bulk", {"jobs": jobs[:3]}, format="json")
    assert ok.status_code == 201
    assert len(ok.json()) == 3
    assert Job.objects.count() == 3


def test_bulk_create_refuses_more_than_1000(client):
    response = client.post(
        "/api/automation/jobs/bulk", {"jobs": [{"jobType": "jobs.noop"}] * 1001}, format="json"
    )
    assert response.status_code == 400
    assert error_fields(response) == {"jobs": "max_length"}


def test_list_filters_and_cursor_pages(client):
    for _ in range(3):
        enqueue(job_type="jobs.noop")
    enqueue(job_type="test.refuse")
    runner.drain(worker="w1")
    failed = client.get("/api/automation/jobs", {"status": "failed"}).json()
    assert [j["jobType"] for j in failed["results"]] == ["test.refuse"]
    page = client.get("/api/automation/jobs", {"jobType": "jobs.noop", "pageSize": 2}).json()
    assert len(page["results"]) == 2
    assert page["next"]
    rest = client.get(page["next"]).json()
    assert len(rest["results"]) == 1


def test_cancel_and_retry_with_their_409s(client):
    job, _ = enqueue(job_type="jobs.noop")
    url = f"/api/automation/jobs/{job.pk}"
    retry_pending = client.post(f"{url}/retry")
    assert retry_pending.status_code == 409
    assert retry_pending.json()["code"] == "conflict"
    cancelled = client.delete(url)
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert client.delete(url).status_code == 409
    retried = client.post(f"{url}/retry")
    assert retried.status_code == 200
    assert retried.json()["status"] == "pending"
    runner.drain(worker="w1")
    assert client.get(url).json()["status"] == "completed"
    actions = list(
        AuditLogEntry.objects.filter(target_id=str(job.pk)).values_list("action", flat=True)
    )
    assert sorted(actions) == ["job.cancelled", "job.retried"]


def test_jobs_need_the_automation_scope(key_client):
    assert key_client("ai").get("/api/automation/jobs").status_code == 403


def test_unknown_job_is_404(client):
    assert client.get("/api/automation/jobs/not-a-uuid").status_code == 404
    missing = "00000000-0000-0000-0000-000000000000"
    assert client.get(f"/api/automation/jobs/{missing}").status_code == 404


def test_job_shows_its_error_and_history(client):
    job, _ = enqueue(job_type="test.refuse")
    runner.drain(worker="w1")
    body = client.get(f"/api/automation/jobs/{job.pk}").json()
    assert body["status"] == JobStatus.FAILED
    assert body["errorMessage"] == "PermanentJobError: the provider refused the request"
    assert body["errorHistory"][0]["attempt"] == 1
