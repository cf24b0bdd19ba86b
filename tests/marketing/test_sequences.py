"""The seed's three campaign templates as sequences: listed by their keys, started by
their events, sent on the seed's days with the seed's subjects, left on an order,
started and stopped per customer through the API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail

from benchbarrier import clock
from benchbarrier.services.audit import Actor
from marketing.campaigns import sequences
from marketing.demo import SEED_SEGMENTS
from marketing.models import Campaign, CampaignSend, Customer, DiscountCode
from marketing.services.segments import refresh_segment, save_segment
from tests.conftest import run_due_jobs
from tests.workflows.helpers import subjects, travel
from workflows.models import ExecutionStatus, WorkflowExecution

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("email_at_noon")]
WELCOME = [
    "Welcome to BenchBarrier! 🎉",
    "Get Started with Your First Order",
    "Here's 10% Off Your First Purchase",
]


@pytest.fixture
def site(key_client):
    return key_client("analytics", "marketing")


def send_event(site, name: str, properties: dict, user_id: str = "u1", n: int = 0) -> None:
    response = site.post(
        "/api/analytics/events",
        {
            "eventName": name,
            "userId": user_id,
            "messageId": f"{name}-{user_id}-{n}",
            "properties": properties,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    run_due_jobs()


def switch_on(site, key: str) -> dict:
    response = site.post(f"/api/marketing/sequences/{key}/resume")
    assert response.status_code == 200, response.json()
    return response.json()


def sends(key: str) -> list[tuple[int, str]]:
    return list(
        CampaignSend.objects.filter(campaign__key=key)
        .order_by("step")
        .values_list("step", "status")
    )


def test_the_seeds_three_sequences_are_listed_by_their_keys_and_ship_paused(site):
    body = site.get("/api/marketing/sequences").json()
    assert [s["key"] for s in body] == ["post-purchase", "welcome-series", "win-back"]
    welcome = next(s for s in body if s["key"] == "welcome-series")
    assert welcome["name"] == "New Customer Welcome Series" and welcome["type"] == "email"
    assert welcome["steps"] == sequences.SEED_SEQUENCES["welcome-series"]["steps"]
    assert {s["status"] for s in body} == {"paused"}, "a shop switches them on itself"
    assert site.get("/api/marketing/sequences/welcome-series").json()["key"] == "welcome-series"


def test_the_welcome_series_runs_on_the_seeds_days_with_its_subjects(site):
    assert switch_on(site, "welcome-series")["status"] == "active"
    send_event(
        site, "user.created", {"email": "u1@example.com", "name": "Ada Moreau", "emailOptIn": True}
    )
    assert subjects() == WELCOME[:1], "delay 0: at once"
    travel(timedelta(days=2, hours=23))
    run_due_jobs()
    assert subjects() == WELCOME[:1]
    travel(timedelta(hours=1))  # day 3 from the start
    run_due_jobs()
    assert subjects() == WELCOME[:2]
    travel(timedelta(days=4))  # day 7 from the start, not 3 + 7
    run_due_jobs()
    assert subjects() == WELCOME
    code = DiscountCode.objects.get()
    assert code.code in mail.outbox[2].body and (code.kind, code.value) == ("percent", 10)
    assert WorkflowExecution.objects.get().status == ExecutionStatus.COMPLETED
    assert sends("welcome-series") == [(0, "sent"), (1, "sent"), (2, "sent")]
    run_due_jobs()  # nothing is sent twice
    assert len(mail.outbox) == 3


def test_an_order_takes_the_customer_out_of_the_welcome_series(site):
    switch_on(site, "welcome-series")
    send_event(site, "user.created", {"email": "u1@example.com", "emailOptIn": True})
    send_event(
        site, "order.completed", {"orderId": "o1", "total": 30, "currency": "EUR", "items": []}
    )
    travel(timedelta(days=8))
    run_due_jobs()
    assert subjects() == WELCOME[:1]
    run = WorkflowExecution.objects.get()
    assert run.status == ExecutionStatus.COMPLETED
    assert run.step_logs.filter(status="exited").exists()


def test_post_purchase_starts_a_day_after_each_order(site):
    switch_on(site, "post-purchase")
    Customer.objects.create(external_id="u1", email="u1@example.com", email_opt_in=True)
    send_event(
        site, "order.completed", {"orderId": "o1", "total": 30, "currency": "EUR", "items": []}
    )
    assert subjects() == []
    travel(timedelta(days=1))
    run_due_jobs()
    assert subjects() == ["Thanks for your order! Track it here"]
    assert "o1" in mail.outbox[0].body


def test_win_back_starts_when_a_customer_enters_inactive_users(site):
    switch_on(site, "win-back")
    description, rules = SEED_SEGMENTS["Inactive Users"]
    segment = save_segment(
        name="Inactive Users",
        description=description,
        kind="dynamic",
        rules=rules,
        actor=Actor.system("tests"),
    )
    Customer.objects.create(
        external_id="u1",
        email="u1@example.com",
        email_opt_in=True,
        last_login=clock.now() - timedelta(days=40),
    )
    assert refresh_segment(segment=segment).joined == 1
    run_due_jobs()
    assert subjects() == ["We miss you! Here's what's new."]
    assert DiscountCode.objects.count() == 0, "the code comes with the second email"


def test_start_and_stop_one_customer_through_the_api(site):
    switch_on(site, "win-back")
    Customer.objects.create(external_id="u1", email="u1@example.com", email_opt_in=True)
    started = site.post("/api/marketing/sequences/win-back/start", {"userId": "u1"}, format="json")
    assert started.status_code == 201, started.json()
    run_due_jobs()
    assert subjects() == ["We miss you! Here's what's new."]
    again = site.post("/api/marketing/sequences/win-back/start", {"userId": "u1"}, format="json")
    assert again.status_code == 409
    stopped = site.post("/api/marketing/sequences/win-back/stop", {"userId": "u1"}, format="json")
    assert stopped.json() == {"stopped": 1}
    travel(timedelta(days=8))
    run_due_jobs()
    assert len(mail.outbox) == 1
    unknown = site.post(
        "/api/marketing/sequences/win-back/start", {"userId": "nobody"}, format="json"
    )
    assert unknown.status_code == 400 and "userId" in str(unknown.json())
    assert (
        site.post(
            "/api/marketing/sequences/win-back/stop", {"userId": "u1"}, format="json"
        ).status_code
        == 404
    )


def test_a_sequence_step_ab_test_gives_each_run_a_variant_then_the_winner(site, settings):
    settings.AB_MIN_SAMPLE = 2
    campaign = Campaign.objects.get(key="win-back")
    steps = campaign.schedule_config["steps"]
    steps[0] = {**steps[0], "variants": [{"subject": "Plain"}, {"subject": "Bold"}]}
    sequences.save_sequence(campaign=campaign, steps=steps, actor=Actor.system("tests"))
    switch_on(site, "win-back")
    for n in range(4):
        Customer.objects.create(external_id=f"u{n}", email=f"u{n}@example.com", email_opt_in=True)
        site.post("/api/marketing/sequences/win-back/start", {"userId": f"u{n}"}, format="json")
    run_due_jobs()
    assert sorted(subjects()) == ["Bold", "Bold", "Plain", "Plain"]
    travel(timedelta(hours=2))
    for send in CampaignSend.objects.filter(variant="B"):
        send.delivery.clicked_at = send.delivery.sent_at + timedelta(minutes=5)
        send.delivery.save(update_fields=["clicked_at"])
    assert sequences.decide_steps(Campaign.objects.get(key="win-back")) == ["step0"]
    Customer.objects.create(external_id="late", email="late@example.com", email_opt_in=True)
    site.post("/api/marketing/sequences/win-back/start", {"userId": "late"}, format="json")
    run_due_jobs()
    assert subjects()[-1] == "Bold"
