"""Engine details: waitForEvent, outbound webhooks (signed, SSRF-guarded), failing
steps, and event triggers in bulk."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analytics.bus import deliver_jobs
from analytics.services import record_events
from benchbarrier import clock
from benchbarrier.services.audit import Actor
from jobs.models import Job, JobStatus
from tests.workflows.helpers import NOON, run_due, travel
from workflows.models import ExecutionStatus, WorkflowExecution
from workflows.services import save_workflow, start_execution

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _noon():
    clock.advance(NOON - clock.now())


def workflow(steps: list, **fields):
    fields.setdefault("name", "Test")
    fields.setdefault("trigger_type", "webhook")
    fields.setdefault("trigger_config", {})
    return save_workflow(actor=Actor.system("tests"), steps=steps, **fields)


WAIT_FOR_ORDER = [{
    "type": "waitForEvent", "event": "order.completed", "match": ["cartId"], "timeout": "2d",
    "onEvent": [{"type": "enqueueJob", "jobType": "jobs.noop", "payload": {"why": "ordered"}}],
    "onTimeout": [{"type": "enqueueJob", "jobType": "jobs.noop", "payload": {"why": "timeout"}}],
}]  # fmt: skip


def test_wait_for_event_takes_the_event_branch():
    run = start_execution(workflow(WAIT_FOR_ORDER), context={"cartId": "c1"}, user_id="u1")
    run_due()
    assert WorkflowExecution.objects.get().status == ExecutionStatus.WAITING
    record_events([{"eventName": "order.completed", "userId": "u1", "messageId": "o-other",
                    "properties": {"cartId": "c2"}}])  # fmt: skip
    run_due()
    assert WorkflowExecution.objects.get().status == ExecutionStatus.WAITING  # other cart
    record_events([{"eventName": "order.completed", "userId": "u1", "messageId": "o1",
                    "properties": {"cartId": "c1"}}])  # fmt: skip
    run_due()
    run.refresh_from_db()
    assert run.status == ExecutionStatus.COMPLETED
    assert Job.objects.filter(job_type="jobs.noop").get().payload == {"why": "ordered"}
    travel(timedelta(days=3))
    run_due()  # the old timeout job is stale and does nothing
    assert Job.objects.filter(job_type="jobs.noop").count() == 1
    assert list(run.step_logs.values_list("status", flat=True)) == [
        "waiting", "event_received", "completed",
    ]  # fmt: skip


def test_wait_for_event_times_out():
    start_execution(workflow(WAIT_FOR_ORDER), context={"cartId": "c1"}, user_id="u1")
    run_due()
    travel(timedelta(days=2, minutes=1))
    run_due()
    assert Job.objects.filter(job_type="jobs.noop").get().payload == {"why": "timeout"}
    assert WorkflowExecution.objects.get().status == ExecutionStatus.COMPLETED


class _Receiver(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Receiver.received.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver():
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    _Receiver.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", _Receiver.received
    server.shutdown()


def test_webhook_steps_are_signed_and_refuse_private_addresses(receiver, settings):
    url, received = receiver
    flow = workflow([{"type": "webhook", "url": url, "payload": {"cart": "{{ trigger.cartId }}"}}])
    start_execution(flow, context={"cartId": "c1"}, user_id="u1")
    run_due()
    run = WorkflowExecution.objects.get()
    assert received == []  # 127.0.0.1 is refused by default
    log = run.step_logs.get()
    assert log.status == "failed" and "private or local address" in log.error

    settings.WORKFLOW_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    Job.objects.filter(status=JobStatus.RETRYING).update(scheduled_for=clock.now())
    run_due()
    headers, body = received[0]
    assert json.loads(body) == {"cart": "c1"}
    expected = hmac.new(settings.WORKFLOW_WEBHOOK_SECRET.encode(),
                        headers["X-Timestamp"].encode() + b"." + body, hashlib.sha256)  # fmt: skip
    assert headers["X-Signature"] == f"sha256={expected.hexdigest()}"
    assert headers["Idempotency-Key"] == f"workflow:{run.pk}:steps[0]"
    run.refresh_from_db()
    assert run.status == ExecutionStatus.COMPLETED


def test_a_step_that_keeps_failing_is_retried_then_fails_the_run():
    flow = workflow([{"type": "webhook", "url": "http://127.0.0.1:9/hook"}])  # refused
    start_execution(flow, context={}, user_id="u1")
    for _ in range(4):
        run_due()
        travel(timedelta(minutes=10))
    run = WorkflowExecution.objects.get()
    assert run.status == ExecutionStatus.FAILED
    assert "private or local address" in run.error
    assert run.step_logs.filter(status="failed").count() == 3, "its job's three attempts"


def test_a_step_that_can_never_succeed_fails_the_run_at_once():
    from marketing.models import Customer

    ada = Customer.objects.create(external_id="ada", email="ada@example.com")
    flow = workflow([{"type": "sendEmail", "template": "welcome"}])
    start_execution(flow, context={}, user_id="ada")
    ada.delete()  # gone before the step runs: no retry can bring her back
    run_due()
    run = WorkflowExecution.objects.get()
    assert run.status == ExecutionStatus.FAILED
    assert 'the customer with site user id "ada" does not exist' in run.error
    assert run.step_logs.filter(status="failed").count() == 1
    assert Job.objects.get(job_type="workflow.advance").attempts == 1


@pytest.mark.postgres  # SQLite splits bulk inserts at its parameter limit
def test_event_triggers_start_runs_in_bulk():
    workflow([{"type": "wait", "duration": "1h"}], name="On view", trigger_type="event",
             trigger_config={"event": "product.viewed"})  # fmt: skip

    def queries(count: int, offset: int) -> int:
        events = [{"eventName": "product.viewed", "userId": f"u{offset + n}",
                   "messageId": f"v{offset + n}"} for n in range(count)]  # fmt: skip
        with CaptureQueriesContext(connection) as captured:
            record_events(events)
            deliver_jobs(list(Job.objects.filter(job_type="bus.deliver", status="pending")))
        return len(captured)

    few = queries(150, 0)  # over 100 users, so stats take the same (COPY) path as 500
    many = queries(500, 1000)
    assert many == few
    assert WorkflowExecution.objects.count() == 650
    assert Job.objects.filter(job_type="workflow.advance").count() == 650


def test_rule_conditions_see_the_customer_and_the_trigger():
    from marketing.models import Customer

    Customer.objects.create(external_id="vip", email="vip@example.com", total_spent=1500)
    Customer.objects.create(external_id="new", email="new@example.com", total_spent=0)
    steps = [{
        "type": "condition",
        "check": [{"field": "total_spent", "operator": "greater_than", "value": 1000},
                  {"field": "trigger.total", "operator": "greater_than", "value": 100,
                   "combinator": "or"}],
        "ifTrue": [{"type": "enqueueJob", "jobType": "jobs.noop", "payload": {"why": "yes"}}],
        "ifFalse": [{"type": "enqueueJob", "jobType": "jobs.noop", "payload": {"why": "no"}}],
    }]  # fmt: skip
    flow = workflow(steps, reentry="allow")
    for user, total in [("vip", 5), ("new", 250), ("new", 20), ("nobody", 20)]:
        start_execution(flow, context={"total": total}, user_id=user)
    run_due()
    whys = [job.payload["why"] for job in Job.objects.filter(job_type="jobs.noop")]
    assert sorted(whys) == ["no", "no", "yes", "yes"]
    assert WorkflowExecution.objects.filter(status=ExecutionStatus.COMPLETED).count() == 4


def test_rule_conditions_name_an_unknown_field_by_path():
    from workflows.definition import DefinitionError, validate_definition

    steps = [{"type": "wait", "duration": "1h"},
             {"type": "condition", "check": [{"field": "trigger", "operator": "equals", "value": 1}],
              "ifTrue": [{"type": "exit"}]}]  # fmt: skip
    with pytest.raises(DefinitionError) as caught:
        validate_definition(trigger_type="webhook", trigger_config={}, steps=steps)
    assert any(path.startswith("steps[1].check[0].field") for path, _ in caught.value.errors)
