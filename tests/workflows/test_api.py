"""The workflows API: definitions validated by path, execute, simulate, pause/resume,
executions, cancel, webhook and schedule triggers."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from django.core import mail
from django_celery_beat.models import PeriodicTask

from benchbarrier import clock
from marketing.models import Customer
from tests.api_errors import error_fields
from tests.workflows.helpers import CART, run_due, subjects, travel
from workflows import hooks
from workflows.demo import SEED_BODIES, SEED_WORKFLOWS
from workflows.models import ExecutionStatus, Workflow, WorkflowExecution
from workflows.tasks import run_scheduled

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("email_at_noon")]
URL = "/api/automation/workflows"
CART_SEED, ONBOARDING_SEED = SEED_WORKFLOWS


@pytest.fixture
def client(key_client):
    return key_client("automation", "marketing")


def create(client, seed: dict) -> dict:
    response = client.post(URL, seed, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_the_seeds_json_is_accepted_byte_for_byte(client):
    for text in SEED_BODIES.values():  # the seed's own text, pasted as it stands
        response = client.post(URL, text, content_type="application/json")
        assert response.status_code == 201, response.json()
        body, seed = response.json(), json.loads(text)
        assert body["steps"] == seed["steps"]  # ifTrue, variables lists: unchanged
        assert body["triggerConfig"] == seed["triggerConfig"]
        assert (body["exitEvents"], body["reentry"], body["settings"]) == ([], "one_at_a_time", {})


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        (lambda s: s["steps"][3]["ifTrue"][0].update(template="abandoned-cart-discont"),
         "steps[3].ifTrue[0].template", 'unknown template "abandoned-cart-discont"'),
        (lambda s: s["steps"][0].update(duration="an hour"), "steps[0].duration",
         '"an hour" is not a duration'),
        (lambda s: s["steps"].append({"type": "sleep"}), "steps[4].type", 'unknown step type "sleep"'),
        (lambda s: s["steps"][3].update(check="cart.isAbandoned"), "steps[3].check",
         'unknown check "cart.isAbandoned"'),
        (lambda s: s["steps"][3].update(check=[{"field": "total_spent", "operator": "gt", "value": 1}]),
         "steps[3].check[0].operator", 'unknown operator "gt"'),
        (lambda s: s["steps"][1].update(cc="boss@example.com"), "steps[1].cc", "unknown key"),
        (lambda s: s.update(triggerConfig={"event": "Cart Abandoned"}), "triggerConfig.event",
         "the event that starts it"),
        (lambda s: s.update(triggerType="schedule", triggerConfig={"schedule": "every monday"}),
         "triggerConfig.schedule", "a cron expression"),
        (lambda s: s.update(steps=[]), "steps", "needs at least one step"),
        (lambda s: s.update(exitEvents=[{"event": "x"}]), "exitEvents[0].event", "an event name"),
    ],
)  # fmt: skip
def test_every_validation_error_names_its_path(client, change, path, message):
    seed = json.loads(json.dumps(CART_SEED))
    change(seed)
    for url in (URL, f"{URL}/validate"):
        response = client.post(url, seed, format="json")
        assert response.status_code == 400, response.json()
        errors = {e["field"]: e["message"] for e in response.json()["errors"]}
        assert path in errors, errors
        assert errors[path].startswith(message), errors[path]
    assert not Workflow.objects.filter(campaign__isnull=True).exists()


def test_validate_accepts_a_good_definition(client):
    assert client.post(f"{URL}/validate", CART_SEED, format="json").json() == {"valid": True}


def test_execute_with_a_context_and_read_the_step_log(client):
    workflow = create(client, {**CART_SEED, "name": "Manual", "steps": [
        {"type": "enqueueJob", "jobType": "jobs.noop", "payload": {"cart": "{{ trigger.cartId }}"}},
        {"type": "exit"}, {"type": "wait", "duration": "1h"}]})  # fmt: skip
    response = client.post(f"{URL}/{workflow['id']}/execute", {"context": CART, "userId": "u1"},
                           format="json")  # fmt: skip
    assert response.status_code == 201, response.json()
    run_due()
    detail = client.get(f"/api/automation/executions/{response.json()['id']}").json()
    assert detail["status"] == "completed"
    assert [s["stepType"] for s in detail["stepLogs"]] == ["enqueueJob", "exit"]
    assert detail["stepLogs"][0]["output"]["jobId"]
    listed = client.get(
        "/api/automation/executions", {"workflow": workflow["id"], "customer": "u1"}
    )
    assert [e["id"] for e in listed.json()["results"]] == [response.json()["id"]]


def test_simulate_shows_the_path_without_side_effects(client):
    workflow = create(client, CART_SEED)
    url = f"{URL}/{workflow['id']}/simulate"
    taken = client.post(url, {"context": CART, "checks": {"cart.stillAbandoned": True}},
                        format="json").json()["steps"]  # fmt: skip
    assert [(s["path"], s["type"]) for s in taken] == [
        ("steps[0]", "wait"), ("steps[1]", "sendEmail"), ("steps[2]", "wait"),
        ("steps[3]", "condition"), ("steps[3].ifTrue[0]", "sendEmail"),
    ]  # fmt: skip
    bought = client.post(url, {"context": CART, "checks": {"cart.stillAbandoned": False}},
                         format="json").json()["steps"]  # fmt: skip
    assert bought[-1]["outcome"] == "cart.stillAbandoned is false"
    assert mail.outbox == [] and not WorkflowExecution.objects.exists()


def test_pause_and_resume_with_runs_mid_wait(client):
    workflow = create(client, CART_SEED)
    client.post("/api/marketing/customers", {"externalId": "u1", "email": "u1@example.com",
                "name": "Ada", "emailOptIn": True, "timezone": "UTC"}, format="json")  # fmt: skip
    client.post(
        f"{URL}/{workflow['id']}/execute", {"context": CART, "userId": "u1"}, format="json"
    )
    run_due()  # now in the 1h wait
    paused = client.post(f"{URL}/{workflow['id']}/pause").json()
    assert paused["isPaused"] is True
    assert WorkflowExecution.objects.get().status == ExecutionStatus.PAUSED
    conflict = client.post(f"{URL}/{workflow['id']}/execute", {"context": CART, "userId": "u2"},
                           format="json")  # fmt: skip
    assert conflict.status_code == 409
    travel(timedelta(hours=3))
    run_due()
    assert mail.outbox == []  # nothing moves while paused
    client.post(f"{URL}/{workflow['id']}/resume")
    run_due()  # the wait ended meanwhile: the reminder goes at once
    assert subjects() == ["Ada, your cart is waiting"]
    assert WorkflowExecution.objects.get().status == ExecutionStatus.WAITING


def test_cancel_one_execution(client):
    workflow = create(client, CART_SEED)
    Customer.objects.create(external_id="u1", email="u1@example.com")
    started = client.post(
        f"{URL}/{workflow['id']}/execute", {"context": CART, "userId": "u1"}, format="json"
    ).json()
    response = client.post(f"/api/automation/executions/{started['id']}/cancel")
    assert response.json()["status"] == "cancelled"
    assert client.post(f"/api/automation/executions/{started['id']}/cancel").status_code == 409
    run_due()
    assert not WorkflowExecution.objects.get().step_logs.exists()


def _hook_request(client, url: str, secret: str, body: dict, timestamp: int | None = None,
                  signature: str | None = None):  # fmt: skip
    raw = json.dumps(body).encode()
    stamp = str(timestamp if timestamp is not None else int(clock.now().timestamp()))
    return client.generic("POST", url, raw, content_type="application/json",
                          HTTP_X_TIMESTAMP=stamp,
                          HTTP_X_SIGNATURE=signature or hooks.sign(secret, stamp, raw))  # fmt: skip


def test_a_signed_webhook_starts_a_run_and_bad_or_stale_ones_are_refused(client):
    from rest_framework.test import APIClient

    hooked = {"name": "Hooked", "triggerType": "webhook", "triggerConfig": {}, "steps": [
        {"type": "sendEmail", "template": "abandoned-cart-reminder",
         "variables": {"cart": "{{ trigger }}"}}]}  # fmt: skip
    refused = client.post(URL, {**hooked, "steps": CART_SEED["steps"]}, format="json")
    assert refused.json()["errors"][0]["field"] == "steps[1].variables[0]"
    assert 'no run of this workflow has "cart"' in refused.json()["errors"][0]["message"]
    workflow = create(client, hooked)
    Customer.objects.create(external_id="u7", email="u7@example.com")
    url = workflow["webhookUrl"].removeprefix("http://localhost:8000")
    secret = Workflow.objects.get(pk=workflow["id"]).webhook_secret
    anonymous = APIClient()
    started = _hook_request(anonymous, url, secret, {"userId": "u7", **CART})
    assert started.status_code == 202, started.content
    execution = WorkflowExecution.objects.get()
    assert execution.context["trigger"]["cartId"] == "cart-1" and execution.user_id == "u7"
    bad = _hook_request(anonymous, url, secret, CART, signature="sha256=" + "0" * 64)
    assert bad.status_code == 403 and bad.json()["code"] == "invalid_signature"
    stale = _hook_request(anonymous, url, secret, CART, timestamp=int(time.time()) - 3600)
    assert stale.status_code == 401
    unsigned = anonymous.post(url, CART, format="json")
    assert unsigned.status_code == 401
    assert WorkflowExecution.objects.count() == 1


def test_a_signed_webhook_sent_again_is_a_replay_409(client):
    from rest_framework.test import APIClient

    hooked = {"name": "Hooked", "triggerType": "webhook", "triggerConfig": {}, "steps": [
        {"type": "enqueueJob", "jobType": "jobs.noop"}]}  # fmt: skip
    workflow = create(client, hooked)
    url = workflow["webhookUrl"].removeprefix("http://localhost:8000")
    secret = Workflow.objects.get(pk=workflow["id"]).webhook_secret
    body, stamp = json.dumps({"userId": "u7"}).encode(), str(int(clock.now().timestamp()))
    signed = {"HTTP_X_TIMESTAMP": stamp, "HTTP_X_SIGNATURE": hooks.sign(secret, stamp, body)}
    anonymous = APIClient()
    first = anonymous.generic("POST", url, body, content_type="application/json", **signed)
    again = anonymous.generic("POST", url, body, content_type="application/json", **signed)
    assert first.status_code == 202 and again.status_code == 409
    assert again.json()["code"] == "replayed"
    assert WorkflowExecution.objects.count() == 1  # one request, one run


def test_schedules_follow_the_workflow(client):
    scheduled = {**ONBOARDING_SEED, "name": "Weekly", "triggerType": "schedule",
                 "triggerConfig": {"schedule": "0 9 * * 1", "timezone": "Europe/Paris"},
                 "steps": [{"type": "enqueueJob", "jobType": "jobs.noop"}]}  # fmt: skip
    workflow = create(client, scheduled)
    task = PeriodicTask.objects.get(task="workflows.run_scheduled")
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_week) == ("0", "9", "1")
    assert str(task.crontab.timezone) == "Europe/Paris" and task.enabled
    assert json.loads(task.kwargs) == {"workflow_id": workflow["id"]}
    client.post(f"{URL}/{workflow['id']}/pause")
    assert PeriodicTask.objects.get(task="workflows.run_scheduled").enabled is False
    assert run_scheduled(workflow["id"]) is None  # a paused workflow starts nothing
    client.post(f"{URL}/{workflow['id']}/resume")
    assert PeriodicTask.objects.get(task="workflows.run_scheduled").enabled is True
    execution_id = run_scheduled(workflow["id"])  # what celery-beat calls at 09:00 Paris
    run_due()
    assert WorkflowExecution.objects.get(pk=execution_id).status == ExecutionStatus.COMPLETED
    client.delete(f"{URL}/{workflow['id']}")  # it ran: archived
    assert not PeriodicTask.objects.filter(task="workflows.run_scheduled").exists()


def test_deleting_a_workflow_that_ran_archives_it_and_keeps_its_history(client):
    ran = create(client, {**ONBOARDING_SEED, "name": "Ran once", "triggerType": "webhook",
                          "triggerConfig": {}, "steps": [{"type": "enqueueJob",
                                                          "jobType": "jobs.noop"}]})  # fmt: skip
    never = create(client, {**ONBOARDING_SEED, "name": "Never ran", "triggerType": "webhook",
                            "triggerConfig": {}, "steps": [{"type": "enqueueJob",
                                                            "jobType": "jobs.noop"}]})  # fmt: skip
    client.post(f"{URL}/{ran['id']}/execute", {"userId": "u1", "context": {}}, format="json")
    run_due()
    archived = client.delete(f"{URL}/{ran['id']}")
    assert archived.status_code == 200 and archived.json()["isPaused"] is True
    assert client.delete(f"{URL}/{never['id']}").status_code == 204
    assert not Workflow.objects.filter(pk=never["id"]).exists()  # never ran: really gone
    assert WorkflowExecution.objects.filter(workflow_id=ran["id"]).count() == 1  # history kept
    listed = [w["name"] for w in client.get(URL).json()["results"]]
    assert "Ran once" not in listed
    assert [w["name"] for w in client.get(URL, {"archived": "true"}).json()["results"]] == [
        "Ran once"]  # fmt: skip
    started = client.post(f"{URL}/{ran['id']}/execute", {"userId": "u2", "context": {}},
                          format="json")  # fmt: skip
    assert WorkflowExecution.objects.filter(workflow_id=ran["id"]).count() == 1  # no new run
    assert started.status_code == 409 and "paused" in started.json()["message"]
    restored = client.post(f"{URL}/{ran['id']}/restore")
    assert restored.status_code == 200 and restored.json()["isPaused"] is True
    assert "Ran once" in [w["name"] for w in client.get(URL).json()["results"]]


def test_execute_as_the_seed_writes_it_get_for_keys_post_for_sessions(client):
    from django.test import Client

    from tests.benchbarrier.factories import StaffFactory

    staff_client = Client()
    staff_client.force_login(StaffFactory())
    workflow = create(client, CART_SEED)
    Customer.objects.create(external_id="u1", email="u1@example.com")
    url = f"{URL}/{workflow['id']}/execute"
    started = client.get(url, {"userId": "u1", "context": json.dumps(CART)})
    assert started.status_code == 201, started.json()
    run = WorkflowExecution.objects.get(pk=started.json()["id"])
    assert run.context["cart"] == CART and run.context["trigger"] == CART
    assert staff_client.get(url).status_code == 405, "an admin session must POST"
    Customer.objects.create(external_id="u2", email="u2@example.com")
    posted = staff_client.post(url, {"userId": "u2"}, content_type="application/json")
    assert posted.status_code == 201, posted.json()


def test_an_idempotency_key_returns_the_first_run(client):
    workflow = create(client, {**CART_SEED, "name": "Again"})
    Customer.objects.create(external_id="u1", email="u1@example.com")
    url = f"{URL}/{workflow['id']}/execute"
    workflow_obj = Workflow.objects.get(pk=workflow["id"])
    workflow_obj.reentry = "allow"
    workflow_obj.save()
    first = client.post(url, {"userId": "u1"}, format="json", HTTP_IDEMPOTENCY_KEY="req-1")
    again = client.get(url, {"userId": "u1"}, HTTP_IDEMPOTENCY_KEY="req-1")
    other = client.post(url, {"userId": "u1"}, format="json", HTTP_IDEMPOTENCY_KEY="req-2")
    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 201)
    assert again.json()["id"] == first.json()["id"] != other.json()["id"]
    assert WorkflowExecution.objects.count() == 2


def test_a_run_for_a_user_who_is_no_customer_is_refused_when_it_emails_them(client):
    workflow = create(client, CART_SEED)
    url = f"{URL}/{workflow['id']}/execute"
    response = client.post(url, {"userId": "ghost", "context": CART}, format="json")
    assert response.status_code == 400
    assert error_fields(response) == {"userId": "invalid"}
    assert 'no customer has the site user id "ghost"' in response.json()["message"]
    assert "steps[1] (sendEmail) needs one" in response.json()["message"]
    assert client.post(url, {"context": CART}, format="json").status_code == 400
    assert not WorkflowExecution.objects.exists()
    plain = create(client, {"name": "No email", "triggerType": "webhook", "triggerConfig": {},
                            "steps": [{"type": "wait", "duration": "1h"}]})  # fmt: skip
    ok = client.post(f"{URL}/{plain['id']}/execute", {"userId": "ghost"}, format="json")
    assert ok.status_code == 201, "a run that emails nobody needs no customer"


def test_variable_paths_are_checked_on_save_and_when_the_step_runs(client):
    typo = json.loads(json.dumps(CART_SEED))
    typo["steps"][1]["variables"] = ["cart.items", "crat.total"]
    response = client.post(URL, typo, format="json")
    assert response.status_code == 400
    assert error_fields(response) == {"steps[1].variables[1]": "invalid_step"}
    assert 'no run of this workflow has "crat"' in response.json()["message"]
    scheduled = {"name": "Nightly", "triggerType": "schedule", "triggerConfig": {"schedule": "0 3 * * *"},
                 "steps": [{"type": "sendEmail", "template": "welcome"}]}  # fmt: skip
    refused = client.post(URL, scheduled, format="json")
    assert error_fields(refused) == {"steps[0]": "invalid_step"}
    assert "a scheduled run is about no customer" in refused.json()["message"]

    workflow = create(client, CART_SEED)
    Customer.objects.create(external_id="u1", email="u1@example.com", email_opt_in=True)
    client.post(f"{URL}/{workflow['id']}/execute",
                {"userId": "u1", "context": {"items": []}}, format="json")  # fmt: skip
    run_due()
    travel(timedelta(hours=1))
    run_due()
    run = WorkflowExecution.objects.get()
    assert run.status == ExecutionStatus.FAILED, "no retry loop: the run has no cart total"
    assert run.error == 'StepFailed: steps[1].variables[1]: "cart.total" has no value in this run'


def test_a_rotated_secret_keeps_the_old_one_for_the_grace_period_only(client, admin_client):
    from rest_framework.test import APIClient

    from benchbarrier.models import AuditLogEntry

    hooked = {"name": "Hooked", "triggerType": "webhook", "triggerConfig": {}, "steps": [
        {"type": "enqueueJob", "jobType": "jobs.noop"}]}  # fmt: skip
    workflow = create(client, hooked)
    url = workflow["webhookUrl"].removeprefix("http://localhost:8000")
    old = Workflow.objects.get(pk=workflow["id"]).webhook_secret
    rotated = admin_client.post("/admin/workflows/workflow/", {
        "action": "rotate_secret", "_selected_action": [workflow["id"]]}, follow=True)  # fmt: skip
    new = Workflow.objects.get(pk=workflow["id"]).webhook_secret
    assert new != old and f"the new secret is <code>{new}</code>" in rotated.content.decode()
    anonymous = APIClient()
    assert _hook_request(anonymous, url, new, {"userId": "a"}).status_code == 202
    assert _hook_request(anonymous, url, old, {"userId": "b"}).status_code == 202  # grace
    clock.advance(timedelta(hours=24, seconds=1))
    assert _hook_request(anonymous, url, old, {"userId": "c"}).status_code == 403
    assert _hook_request(anonymous, url, new, {"userId": "d"}).status_code == 202
    assert AuditLogEntry.objects.filter(action="workflow.webhook_secret_rotated").count() == 1
