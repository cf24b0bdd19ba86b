"""The campaigns API: the simplest campaign made and sent as the issue writes it, every
bad input a 400 naming its field, actions that do not fit a 409, sends in cursor
pages, results, sequences edited by step."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail

from benchbarrier import clock
from marketing.models import Customer, Segment, SegmentMember
from tests.conftest import run_due_jobs

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("email_at_noon")]


@pytest.fixture
def api(key_client):
    return key_client("marketing")


@pytest.fixture
def segment() -> Segment:
    segment = Segment.objects.create(name="Readers", kind="static")
    for n in range(3):
        customer = Customer.objects.create(
            external_id=f"r{n}", email=f"r{n}@example.com", email_opt_in=True
        )
        SegmentMember.objects.create(segment=segment, customer=customer)
    return segment


def create(api, **fields):
    return api.post("/api/marketing/campaigns", fields, format="json")


def named(response) -> set[str]:
    """The fields a 400 names."""
    assert response.status_code == 400, response.json()
    return {error["field"] for error in response.json()["errors"]}


def test_the_simplest_campaign_is_made_and_sent_at_once(api, segment):
    made = create(api, name="News", type="email", segmentId=segment.pk, template="win-back-1")
    assert made.status_code == 201, made.json()
    campaign = made.json()
    assert (campaign["status"], campaign["progress"]) == ("draft", None)
    audience = api.get(f"/api/marketing/campaigns/{campaign['id']}/audience").json()
    assert audience["text"] == "3 in segment, 3 can receive email"
    sent = api.post(f"/api/marketing/campaigns/{campaign['id']}/send")
    assert sent.status_code == 202 and sent.json()["status"] == "scheduled"
    run_due_jobs()
    body = api.get(f"/api/marketing/campaigns/{campaign['id']}").json()
    assert body["status"] == "sent" and len(mail.outbox) == 3
    assert body["progress"]["total"] == 3 and body["progress"]["done"] == 3
    assert body["progress"]["share"] == 1.0
    again = api.post(f"/api/marketing/campaigns/{campaign['id']}/send")
    assert again.status_code == 409


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"segmentId": 999999}, "segmentId"),
        ({"template": "no-such-template"}, "template"),
        ({"throttlePerSecond": 0}, "throttlePerSecond"),
        ({"type": "fax"}, "type"),
        ({"abTest": {"variants": [{"subject": "A"}, {}]}}, "abTest.variants[1]"),
        ({"abTest": {"variants": [{"subject": "A"}]}}, "abTest.variants"),
        (
            {"abTest": {"variants": [{"subject": "A"}, {"subject": "B"}], "testShare": 2}},
            "abTest.testShare",
        ),
        (
            {
                "abTest": {
                    "variants": [{"subject": "A"}, {"subject": "B"}],
                    "metric": "open_rate",
                    "waitHours": 1,
                }
            },
            "abTest.waitHours",
        ),
        ({"scheduleConfig": {"localTime": "25:00"}}, "scheduleConfig.localTime"),
    ],
)
def test_every_bad_input_is_a_400_naming_its_field(api, segment, fields, field):
    body = {"name": "News", "type": "email", "segmentId": segment.pk, "template": "win-back-1"}
    assert named(create(api, **{**body, **fields})) == {field}


def test_a_send_time_in_the_past_is_a_400_and_a_later_one_waits(api, segment):
    made = create(api, name="News", type="email", segmentId=segment.pk, template="win-back-1")
    url = f"/api/marketing/campaigns/{made.json()['id']}/send"
    past = api.post(url, {"sendAt": (clock.now() - timedelta(hours=1)).isoformat()}, format="json")
    assert named(past) == {"sendAt"}
    later = api.post(
        url, {"sendAt": (clock.now() + timedelta(hours=1)).isoformat()}, format="json"
    )
    assert later.status_code == 202
    run_due_jobs()
    assert mail.outbox == []
    clock.advance(timedelta(hours=1))
    run_due_jobs()
    assert len(mail.outbox) == 3


def test_sends_come_in_cursor_pages_with_filters_and_results_count_them(api, segment):
    made = create(api, name="News", type="email", segmentId=segment.pk, template="win-back-1")
    campaign = made.json()["id"]
    api.post(f"/api/marketing/campaigns/{campaign}/send")
    run_due_jobs()
    first = api.get(f"/api/marketing/campaigns/{campaign}/sends?pageSize=2&status=sent").json()
    assert len(first["results"]) == 2 and first["next"]
    rest = api.get(first["next"]).json()
    emails = {s["email"] for s in first["results"] + rest["results"]}
    assert emails == {"r0@example.com", "r1@example.com", "r2@example.com"}
    bad = api.get(f"/api/marketing/campaigns/{campaign}/sends?status=lost")
    assert named(bad) == {"status"}
    results = api.get(f"/api/marketing/campaigns/{campaign}/results").json()
    assert results["metrics"]["recipients"] == 3 and results["metrics"]["delivered"] == 3
    listed = api.get("/api/marketing/campaigns?status=sent").json()
    assert [c["id"] for c in listed["results"]] == [campaign]
    assert api.get("/api/marketing/campaigns?status=draft").json()["results"] == []


def test_actions_that_do_not_fit_the_status_are_409s(api, segment):
    made = create(api, name="News", type="email", segmentId=segment.pk, template="win-back-1")
    campaign = made.json()["id"]
    assert api.post(f"/api/marketing/campaigns/{campaign}/resume").status_code == 409
    assert api.post(f"/api/marketing/campaigns/{campaign}/cancel").status_code == 200
    assert api.post(f"/api/marketing/campaigns/{campaign}/send").status_code == 409
    edit = api.patch(f"/api/marketing/campaigns/{campaign}", {"name": "X"}, format="json")
    assert edit.status_code == 409


def test_a_test_send_goes_to_the_given_addresses(api, segment):
    made = create(
        api,
        name="News",
        type="email",
        segmentId=segment.pk,
        template="win-back-1",
        subject="Hello",
    )
    url = f"/api/marketing/campaigns/{made.json()['id']}/test"
    assert api.post(url, {"emails": ["me@example.com"]}, format="json").status_code == 202
    run_due_jobs()
    assert [(m.to, m.subject) for m in mail.outbox] == [(["me@example.com"], "[Test] Hello")]
    bad = api.post(url, {"emails": ["not an address"]}, format="json")
    assert named(bad) == {"emails[0]"} or named(bad) == {"emails"}


def test_a_sequence_is_edited_by_step_and_its_workflow_follows(api):
    url = "/api/marketing/sequences/win-back"
    steps = api.get(url).json()["steps"]
    steps[1] = {**steps[1], "delay": 10, "subject": "Still here: 20% off"}
    response = api.patch(url, {"steps": steps}, format="json")
    assert response.status_code == 200, response.json()
    from marketing.models import Campaign

    workflow = Campaign.objects.get(key="win-back").workflow
    assert workflow.steps[1] == {"type": "wait", "duration": "10d"}
    assert workflow.steps[2]["subject"] == "Still here: 20% off"
    bad = api.patch(
        url,
        {"steps": [{"delay": 5, "template": "win-back-1"}, {"delay": 2, "template": "nope"}]},
        format="json",
    )
    assert named(bad) == {"steps[1].delay", "steps[1].template"}
