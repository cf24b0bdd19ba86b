"""The seed's two workflows end to end: events through the API, real jobs, the clock
moved instead of sleeping."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail

from benchbarrier.services.audit import Actor
from marketing.models import DiscountCode
from tests.workflows.helpers import CART, run_due, seed_workflow, subjects, travel
from workflows.models import ExecutionStatus, WorkflowExecution
from workflows.services import save_workflow

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("email_at_noon")]


@pytest.fixture
def site(key_client):
    return key_client("analytics", "marketing")


def identify(site, user_id: str = "u1") -> None:
    response = site.post("/api/marketing/customers", {
        "externalId": user_id, "email": f"{user_id}@example.com", "name": "Ada Moreau",
        "emailOptIn": True, "timezone": "UTC"}, format="json")  # fmt: skip
    assert response.status_code in (200, 201), response.json()


def send_event(site, name: str, properties: dict, user_id: str = "u1", n: int = 0):
    response = site.post("/api/analytics/events", {
        "eventName": name, "userId": user_id, "messageId": f"{name}-{user_id}-{n}",
        "properties": properties}, format="json")  # fmt: skip
    assert response.status_code == 201, response.json()
    run_due()  # the bus delivers it to the workflow triggers


def test_abandoned_cart_reminds_then_discounts(site):
    seed_workflow("Abandoned Cart Recovery")
    identify(site)
    send_event(site, "cart.abandoned", CART)
    run_due()
    execution = WorkflowExecution.objects.get()
    assert execution.status == ExecutionStatus.WAITING and subjects() == []
    travel(timedelta(hours=1))
    run_due()
    assert subjects() == ["Ada, your cart is waiting"]
    travel(timedelta(hours=24))
    run_due()
    assert subjects() == ["Ada, your cart is waiting", "10% off the cart you left behind"]
    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.COMPLETED
    steps = list(execution.step_logs.values_list("path", "step_type", "status"))
    assert steps == [
        ("steps[0]", "wait", "waiting"),
        ("steps[1]", "sendEmail", "completed"),
        ("steps[2]", "wait", "waiting"),
        ("steps[3]", "condition", "completed"),
        ("steps[3].ifTrue[0]", "sendEmail", "completed"),
    ]


def test_the_seeds_cart_emails_carry_the_cart_and_a_code_of_their_own(site):
    """The seed's abandoned-cart workflow as written, for two customers: the reminder
    shows the cart's items and total, the discount email a code unique to the run, and
    the code is marked used once an order names it."""
    seed_workflow("Abandoned Cart Recovery")
    for user in ("u1", "u2"):
        identify(site, user)
        send_event(site, "cart.abandoned", {**CART, "cartId": f"cart-{user}"}, user_id=user)
    travel(timedelta(hours=1))
    run_due()
    travel(timedelta(hours=24))
    run_due()
    by_person = {}
    for message in mail.outbox:
        by_person.setdefault(message.to[0], []).append(message)
    reminder, discount = by_person["u1@example.com"]
    assert "Trail shoes" in reminder.body and "119.00" in reminder.body
    codes = {m.to[0]: DiscountCode.objects.get(user_id=m.to[0].split("@")[0]).code
             for m in mail.outbox if "off the cart" in m.subject}  # fmt: skip
    assert len(set(codes.values())) == 2, "a code per run"
    assert codes["u1@example.com"] in discount.body and "10% off" in discount.body
    assert "Trail shoes" not in discount.body, "the seed hands it discount.code only"
    send_event(site, "order.completed", {"orderId": "o7", "cartId": "cart-u1", "total": 107.1,
                                         "discountCode": codes["u1@example.com"]})  # fmt: skip
    used = DiscountCode.objects.get(code=codes["u1@example.com"])
    assert used.used_at is not None and used.order_id == "o7"
    assert DiscountCode.objects.get(code=codes["u2@example.com"]).used_at is None


def test_an_order_for_the_cart_means_no_discount(site):
    """The seed's workflow: the condition finds the order and sends nothing more."""
    seed_workflow("Abandoned Cart Recovery")
    identify(site)
    send_event(site, "cart.abandoned", CART)
    travel(timedelta(hours=1))
    run_due()
    assert len(mail.outbox) == 1
    travel(timedelta(hours=2))
    send_event(site, "order.completed", {"orderId": "o1", "cartId": "cart-1",
                                         "total": 119, "currency": "EUR", "items": []})  # fmt: skip
    travel(timedelta(hours=30))
    run_due()
    assert len(mail.outbox) == 1  # no discount
    execution = WorkflowExecution.objects.get()
    assert execution.status == ExecutionStatus.COMPLETED
    assert execution.step_logs.last().output == {"result": False}
    assert not DiscountCode.objects.exists()


def test_with_exit_events_an_order_ends_the_run_at_once(site):
    """The project's richer form beside the seed's: the order ends the run right away."""
    workflow = seed_workflow("Abandoned Cart Recovery")
    save_workflow(workflow=workflow, actor=Actor.system("tests"),
                  exit_events=[{"event": "order.completed", "match": ["cartId"]}])  # fmt: skip
    identify(site)
    send_event(site, "cart.abandoned", CART)
    travel(timedelta(hours=2))
    send_event(site, "order.completed", {"orderId": "o1", "cartId": "cart-1",
                                         "total": 119, "currency": "EUR", "items": []})  # fmt: skip
    execution = WorkflowExecution.objects.get()
    assert execution.status == ExecutionStatus.COMPLETED
    assert execution.step_logs.last().status == "exited"


def test_an_order_for_another_cart_does_not_end_it(site):
    seed_workflow("Abandoned Cart Recovery")
    identify(site)
    send_event(site, "cart.abandoned", CART)
    send_event(site, "order.completed", {"orderId": "o9", "cartId": "cart-9",
                                                  "total": 5, "currency": "EUR", "items": []})  # fmt: skip
    assert WorkflowExecution.objects.get().status != ExecutionStatus.COMPLETED


def test_one_run_at_a_time_per_customer(site):
    seed_workflow("Abandoned Cart Recovery")
    identify(site)
    send_event(site, "cart.abandoned", CART, n=1)
    send_event(site, "cart.abandoned", {**CART, "cartId": "cart-2"}, n=2)
    assert WorkflowExecution.objects.count() == 1


@pytest.mark.parametrize("orders", [False, True])
def test_onboarding(site, orders):
    seed_workflow("Customer Onboarding Sequence")
    send_event(site, "user.created", {"email": "u1@example.com", "name": "Ada Moreau",
                                               "emailOptIn": True})  # fmt: skip
    run_due()
    assert subjects() == ["Welcome to BenchBarrier, Ada"]
    travel(timedelta(days=3))
    run_due()
    assert subjects()[-1] == "3 tips to get the most out of BenchBarrier"
    if orders:
        send_event(site, "order.completed", {"orderId": "o1", "total": 50,
                                                      "currency": "EUR", "items": []})  # fmt: skip
    travel(timedelta(days=7))  # the seed's second wait
    run_due()
    execution = WorkflowExecution.objects.get()
    assert execution.status == ExecutionStatus.COMPLETED
    if orders:
        assert len(mail.outbox) == 2
    else:
        assert subjects()[-1] == "10% off your first order"


def test_advances_run_twice_send_the_reminder_once(site):
    from tests.at_least_once import run_twice

    seed_workflow("Abandoned Cart Recovery")
    identify(site)
    send_event(site, "cart.abandoned", CART)
    travel(timedelta(hours=1))

    run_twice("workflow.advance")

    assert subjects() == ["Ada, your cart is waiting"]
    execution = WorkflowExecution.objects.get()
    assert execution.status == ExecutionStatus.WAITING
    assert execution.step_logs.filter(step_type="sendEmail").count() == 1
    travel(timedelta(hours=24))
    run_twice("workflow.advance")
    assert subjects() == ["Ada, your cart is waiting", "10% off the cart you left behind"]
    assert DiscountCode.objects.count() == 1
