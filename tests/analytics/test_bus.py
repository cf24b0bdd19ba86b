"""The durable event bus in one process: events reach consumers through `bus.deliver`
jobs queued with them, each consumer takes a batch once, a failing consumer retries
alone. (test_bus_processes.py does the same with real web and worker processes.)"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command

from analytics.services import record_events
from benchbarrier import clock
from benchbarrier.events import consumer, consumers, unregister
from benchbarrier.models import BusDelivery
from jobs.models import Job, JobStatus
from marketing.models import Customer
from tests.conftest import run_due_jobs
from tests.workflows.helpers import seed_workflow
from workflows.models import WorkflowExecution

pytestmark = pytest.mark.django_db


def ev(n: int, name: str, user: str = "u1", minute: int = 0, **properties) -> dict:
    return {
        "eventName": name,
        "userId": user,
        "messageId": f"m{n}",
        "timestamp": f"2026-11-20T10:{minute:02d}:00Z",
        "properties": properties,
    }


@pytest.fixture
def flaky():
    """A consumer that fails on any batch holding an event with `poison`, and on its
    first call when `fail_once` is set."""
    state = {"calls": [], "fail_once": False}

    def take(events: list) -> None:
        state["calls"].append([e.message_id for e in events])
        if state["fail_once"]:
            state["fail_once"] = False
            raise RuntimeError("consumer fell over")
        if any("poison" in e.properties for e in events):
            raise ValueError("cannot digest this")

    consumer("tests.flaky")(take)
    yield state
    unregister("tests.flaky")


def test_events_reach_consumers_only_through_a_job_queued_with_them():
    seed_workflow("Abandoned Cart Recovery")
    record_events([ev(1, "cart.abandoned", cartId="c1"), ev(2, "order.completed", total=50)])
    job = Job.objects.get(job_type="bus.deliver")
    assert job.payload["eventIds"] == sorted(job.payload["eventIds"])
    assert not WorkflowExecution.objects.exists() and not Customer.objects.exists()
    run_due_jobs()
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED
    assert WorkflowExecution.objects.count() == 1
    assert Customer.objects.get(external_id="u1").order_count == 1


def test_a_batch_delivered_again_starts_no_second_run_and_counts_no_order_twice():
    seed_workflow("Abandoned Cart Recovery")
    record_events([ev(1, "cart.abandoned", cartId="c1"), ev(2, "order.completed", total=50)])
    job = Job.objects.get(job_type="bus.deliver")
    run_due_jobs()
    # The worker died after the consumers committed, before the job was marked done:
    # the queue runs the same job again.
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RETRYING, scheduled_for=clock.now())
    run_due_jobs()
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED and job.attempts == 2
    assert WorkflowExecution.objects.count() == 1
    customer = Customer.objects.get(external_id="u1")
    assert (customer.order_count, customer.total_spent) == (1, Decimal("50.00"))
    names = {c.name for c in consumers()}
    assert {"workflows.triggers", "marketing.customer_stats"} <= names
    assert set(BusDelivery.objects.values_list("consumer", flat=True)) == names
    assert BusDelivery.objects.count() == len(names), "one marker per consumer and batch"


def test_a_failing_consumer_retries_alone_and_the_others_run_once(flaky):
    flaky["fail_once"] = True
    record_events([ev(1, "order.completed", total=20)])
    run_due_jobs()
    job = Job.objects.get(job_type="bus.deliver")
    assert job.status == JobStatus.RETRYING
    assert "consumer tests.flaky: RuntimeError: consumer fell over" in job.error_message
    assert Customer.objects.get(external_id="u1").order_count == 1, "stats were not held up"
    with clock.travel(timedelta(minutes=1)):
        run_due_jobs()
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED
    assert flaky["calls"] == [["m1"], ["m1"]]
    assert Customer.objects.get(external_id="u1").order_count == 1, "not counted again"


def test_a_poisoned_batch_holds_up_only_itself(flaky, settings):
    settings.JOBS_CLAIM_BATCH = 10
    record_events([ev(1, "order.completed", user="u1", total=10)])
    record_events([ev(2, "order.completed", user="u2", total=10, poison=True)])
    record_events([ev(3, "order.completed", user="u3", total=10)])
    run_due_jobs()  # the three jobs are claimed together
    statuses = {
        job.payload["eventIds"][0]: job.status
        for job in Job.objects.filter(job_type="bus.deliver")
    }
    assert sorted(statuses.values()) == ["completed", "completed", "retrying"]
    delivered = {m for call in flaky["calls"] for m in call}
    assert delivered == {"m1", "m2", "m3"}
    assert flaky["calls"][0] == ["m1", "m2", "m3"], "first all together, then one at a time"
    assert sorted(Customer.objects.values_list("external_id", "order_count")) == [
        ("u1", 1), ("u2", 1), ("u3", 1),
    ]  # fmt: skip


def test_a_consumer_gets_a_customers_events_in_timestamp_order(bus):
    record_events([
        ev(1, "product.viewed", minute=30), ev(2, "user.login", user="u2", minute=5),
        ev(3, "product.viewed", minute=10), ev(4, "order.completed", minute=20),
    ])  # fmt: skip
    bus.deliver()
    (batch,) = bus
    assert [e.message_id for e in batch if e.user_id == "u1"] == ["m3", "m4", "m1"]
    assert [e.timestamp.minute for e in batch] == [5, 10, 20, 30]


def test_jobs_drain_runs_due_jobs_and_says_what_ran(capsys):
    seed_workflow("Abandoned Cart Recovery")
    record_events([ev(1, "cart.abandoned", cartId="c1")])
    call_command("jobs_drain")
    out = capsys.readouterr().out
    assert "bus.deliver" in out and "completed" in out
    assert "workflow.advance" in out and "handed back (next step queued)" in out
    assert "ran 2 job(s)" in out
    assert "the next scheduled job is due at" in out  # the run's 1 h wait
    call_command("jobs_drain", "--quiet")
    assert capsys.readouterr().out.startswith("ran 0 job(s)")
    record_events([ev(2, "cart.abandoned", user="u2", cartId="c2")])
    call_command("jobs_drain", "--type", "bus.deliver")
    out = capsys.readouterr().out
    assert "bus.deliver" in out and "workflow.advance" not in out, "only the type asked for"
    assert Job.objects.filter(job_type="workflow.advance", status="pending").count() == 2


def test_a_delivery_run_twice_reaches_each_consumer_once(bus, flaky):
    seed_workflow("Abandoned Cart Recovery")
    record_events([ev(1, "cart.abandoned", cartId="c1"), ev(2, "order.completed", total=50)])

    from tests.at_least_once import run_twice

    run_twice("bus.deliver")

    assert [[e.message_id for e in batch] for batch in bus] == [["m1", "m2"]]
    assert flaky["calls"] == [["m1", "m2"]]
    assert WorkflowExecution.objects.count() == 1  # the cart workflow, started once
    assert Customer.objects.get(external_id="u1").order_count == 1
