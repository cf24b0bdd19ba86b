"""Event ingestion through the API: validation, dedup, partial batches, the bus."""

from __future__ import annotations

from datetime import timedelta

import pytest

from analytics.models import Event
from benchbarrier import clock
from tests.api_errors import error_fields

pytestmark = pytest.mark.django_db

EVENTS = "/api/analytics/events"
BATCH = "/api/analytics/events/batch"


@pytest.fixture
def client(key_client):
    return key_client("analytics")


def event(n: int = 1, **extra) -> dict:
    return {
        "eventName": "order.completed",
        "userId": "u1",
        "sessionId": "s1",
        "messageId": f"m-{n}",
        "timestamp": "2026-11-20T10:00:00Z",
        "properties": {"orderId": f"o{n}", "total": 25.5, "currency": "EUR", "items": []},
        **extra,
    }


def test_one_event_is_stored_as_sent(client, django_capture_on_commit_callbacks, bus):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(EVENTS, event(properties={"cart_id": "c1", "lineItems": [1]}),
                               format="json")  # fmt: skip
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "accepted" and body["messageId"] == "m-1"
    stored = Event.objects.get(pk=body["id"])
    assert stored.event_name == "order.completed"
    assert stored.user_id == "u1" and stored.session_id == "s1"
    assert stored.properties == {"cart_id": "c1", "lineItems": [1]}
    assert stored.timestamp.isoformat() == "2026-11-20T10:00:00+00:00"
    assert bus == [], "consumers get events through the queue, not in the request"
    bus.deliver()
    assert [[e.id for e in batch] for batch in bus] == [[stored.pk]]


def test_a_resent_event_is_a_no_op(client, django_capture_on_commit_callbacks, bus):
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(EVENTS, event(), format="json")
        again = client.post(EVENTS, event(), format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["status"] == "duplicate"
    assert Event.objects.count() == 1
    bus.deliver()
    assert len(bus) == 1


def test_message_id_is_generated_when_left_out(client):
    body = event()
    del body["messageId"]
    first = client.post(EVENTS, body, format="json").json()
    second = client.post(EVENTS, body, format="json").json()
    assert first["messageId"] != second["messageId"]
    assert Event.objects.count() == 2


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"eventName": None}, "eventName", "required"),
        ({"eventName": "Order Completed"}, "eventName", "invalid"),
        ({"userId": None, "sessionId": None}, "userId", "required"),
        ({"userId": ""}, "userId", "invalid"),
        ({"messageId": "has spaces"}, "messageId", "invalid"),
        ({"timestamp": "yesterday"}, "timestamp", "invalid"),
        ({"timestamp": "2999-01-01T00:00:00Z"}, "timestamp", "in_future"),
        ({"timestamp": "1970-01-01T00:00:00Z"}, "timestamp", "too_old"),
        ({"properties": [1, 2]}, "properties", "invalid"),
        ({"properties": {"blob": "x" * 40_000}}, "properties", "too_large"),
        ({"event_name": "x"}, "eventName", "unknown_field"),
    ],
)
def test_a_bad_event_is_400_naming_the_field_and_nothing_is_stored(client, body, field, code):
    data = {k: v for k, v in {**event(), **body}.items() if v is not None}
    response = client.post(EVENTS, data, format="json")
    assert response.status_code == 400, response.json()
    assert error_fields(response).get(field) == code
    assert Event.objects.count() == 0


def test_a_batch_stores_the_good_and_explains_the_rest(
    client, django_capture_on_commit_callbacks, bus
):
    client.post(EVENTS, event(1), format="json")
    bus.deliver()
    bus.clear()
    batch = [event(1), event(2), event(3, eventName="bad name"), event(2), event(4)]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(BATCH, {"events": batch}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["accepted"], body["duplicates"], body["rejected"]) == (2, 2, 1)
    assert [r["status"] for r in body["results"]] == [
        "duplicate", "accepted", "rejected", "duplicate", "accepted",
    ]  # fmt: skip
    assert body["results"][2]["errors"] == [
        {"field": "eventName", "code": "invalid", "message": body["results"][2]["errors"][0]["message"]}
    ]  # fmt: skip
    assert sorted(Event.objects.values_list("message_id", flat=True)) == ["m-1", "m-2", "m-4"]
    bus.deliver()
    assert [sorted(e.message_id for e in b) for b in bus] == [["m-2", "m-4"]]


def test_a_batch_with_nothing_storable_is_400_naming_each_item(client):
    response = client.post(
        BATCH, {"events": [event(1, eventName="x"), event(2, timestamp="soon")]}, format="json"
    )
    assert response.status_code == 400
    assert error_fields(response) == {
        "events[0].eventName": "invalid",
        "events[1].timestamp": "invalid",
    }
    assert Event.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"events": []}, "events"),
        ({"events": "many"}, "events"),
        ({"events": [event(n) for n in range(1001)]}, "events"),
        ({"events": [event()], "extra": 1}, "extra"),
    ],
)
def test_a_malformed_batch_is_400(client, body, field):
    response = client.post(BATCH, body, format="json")
    assert response.status_code == 400
    assert field in error_fields(response)
    assert Event.objects.count() == 0


def test_an_unknown_field_is_named_as_sent(client):
    response = client.post(EVENTS, {**event(), "user_Id": "u2"}, format="json")
    assert 'Unknown field "user_Id"' in response.json()["message"]


def test_ingestion_needs_the_analytics_scope(key_client):
    response = key_client("marketing").post(EVENTS, event(), format="json")
    assert response.status_code == 403


def test_a_batch_costs_the_same_queries_whatever_its_size(
    client, django_capture_on_commit_callbacks
):
    """Auth, the insert and the customer-stats upsert: no query per event or user."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(batch: list[dict]) -> int:
        with (
            CaptureQueriesContext(connection) as captured,
            django_capture_on_commit_callbacks(execute=True),
        ):
            response = client.post(BATCH, {"events": batch}, format="json")
        assert response.json()["accepted"] == len(batch)
        return len(captured)

    queries([event(0)])  # the key's first use writes its last_used_at once
    small = queries([event(n, userId=f"u{n}") for n in range(1, 3)])
    large = queries([event(n, userId=f"u{n % 500}") for n in range(3, 1003)])
    assert large == small <= 16


def test_timestamps_a_little_ahead_are_accepted(client):
    ahead = (clock.now() + timedelta(seconds=60)).isoformat()
    assert client.post(EVENTS, event(timestamp=ahead), format="json").status_code == 201
