"""The durable event bus with real processes: a web process killed right after it
stored events, and a worker killed in the middle of a delivery, lose nothing and
double nothing."""

from __future__ import annotations

import json
import urllib.request
from decimal import Decimal

import pytest
from django.db.models import Sum

from analytics.models import Event
from analytics.services import record_events
from benchbarrier import clock
from benchbarrier.services.api_keys import create_api_key
from benchbarrier.services.audit import Actor
from jobs.models import Job, JobStatus
from marketing.models import Customer
from tests.processes import free_port, wait_until
from tests.workflows.helpers import seed_workflow
from workflows.models import WorkflowExecution

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]


def cart_and_order(user: str, n: int) -> list[dict]:
    return [
        {"eventName": "cart.abandoned", "userId": user, "messageId": f"cart-{n}",
         "properties": {"cartId": f"c{n}", "total": "10.00"}},
        {"eventName": "order.completed", "userId": user, "messageId": f"order-{n}",
         "properties": {"orderId": f"o{n}", "cartId": f"other-{n}", "total": 12.5}},
    ]  # fmt: skip


def stats() -> tuple[int, Decimal]:
    totals = Customer.objects.aggregate(orders=Sum("order_count"), spent=Sum("total_spent"))
    return totals["orders"] or 0, totals["spent"] or Decimal(0)


def post_json(url: str, body: dict, key: str) -> int:
    request = urllib.request.Request(  # noqa: S310 (a local test server)
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Api-Key {key}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return response.status


def test_events_stored_by_a_web_process_killed_at_once_reach_every_consumer(celery_procs):
    seed_workflow("Abandoned Cart Recovery")
    key = create_api_key(name="site", scopes=["analytics"], actor=Actor.system("tests")).secret
    port = free_port()
    web = celery_procs.web(port)
    wait_until(
        lambda: (
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).status == 200
        ),
        timeout=30,
        what="the web process",
    )
    events = [e for n in range(40) for e in cart_and_order(f"u{n}", n)]
    assert post_json(f"http://127.0.0.1:{port}/api/analytics/events/batch",
                     {"events": events}, key) == 200  # fmt: skip
    celery_procs.kill_group(web)  # kill -9, master and workers, right after the answer

    assert Event.objects.count() == 80
    assert not WorkflowExecution.objects.exists() and stats() == (0, 0)
    assert Job.objects.filter(job_type="bus.deliver", status=JobStatus.PENDING).exists()

    celery_procs.worker("w1", "--concurrency=2")
    celery_procs.beat()
    try:
        wait_until(
            lambda: WorkflowExecution.objects.count() == 40 and stats()[0] == 40,
            timeout=60,
            what="every run started and every order counted",
        )
    except AssertionError:
        print(celery_procs.logs())
        raise
    assert stats() == (40, Decimal("500.00"))


def test_a_worker_killed_mid_delivery_delivers_again_and_nothing_doubles(celery_procs, tmp_path):
    seed_workflow("Abandoned Cart Recovery")
    events = [e for n in range(20) for e in cart_and_order(f"u{n}", n)]
    events.append({"eventName": "test.crash", "userId": "u0", "messageId": "crash"})
    record_events(events)
    job = Job.objects.get(job_type="bus.deliver")
    env = {"EVENT_CONSUMER_MODULES": "tests.analytics.crashing_consumer",
           "CRASH_MARKER_DIR": str(tmp_path)}  # fmt: skip

    doomed = celery_procs.worker("doomed", "--pool=solo", **env)
    wait_until(lambda: doomed.poll() is not None, timeout=60, what="the worker to crash")
    # The consumers before the crashing one committed; the job is still held by the
    # dead worker, as after a real crash.
    assert WorkflowExecution.objects.count() == 20
    assert stats() == (20, Decimal("250.00"))
    job.refresh_from_db()
    assert job.status == JobStatus.PROCESSING
    # Its lease runs out (moved to now rather than waiting for the handler's time limit).
    Job.objects.filter(pk=job.pk).update(lease_expires_at=clock.now())

    celery_procs.worker("survivor", "--pool=solo", **env)
    celery_procs.beat()
    try:
        wait_until(
            lambda: Job.objects.filter(pk=job.pk, status=JobStatus.COMPLETED).exists(),
            timeout=60,
            what="the delivery to complete on the second worker",
        )
    except AssertionError:
        print(celery_procs.logs())
        raise
    job.refresh_from_db()
    assert job.attempts == 2
    assert WorkflowExecution.objects.count() == 20, "no run started twice"
    assert stats() == (20, Decimal("250.00")), "no order counted twice"
