"""Segments: rules validated on save, membership refreshed in SQL, entered/exited
events on the bus, preview, static members."""

from __future__ import annotations

from datetime import timedelta

import pytest

from analytics.models import Event
from benchbarrier import clock
from benchbarrier.services.audit import Actor
from jobs import runner
from jobs.models import Job, JobStatus
from marketing.demo import SEED_SEGMENTS
from marketing.models import Segment, SegmentKind, SegmentMember
from marketing.services.segments import (
    SegmentError,
    import_members_csv,
    queue_due_refreshes,
    refresh_segment,
)
from tests.api_errors import error_fields
from tests.marketing.factories import CustomerFactory, SegmentFactory

pytestmark = pytest.mark.django_db
URL = "/api/marketing/segments"
HIGH_VALUE = SEED_SEGMENTS["High-Value Customers"][1]


@pytest.fixture
def client(key_client):
    return key_client("marketing")


@pytest.mark.parametrize("name", sorted(SEED_SEGMENTS))
def test_the_seeds_segments_are_created_through_the_api(client, name):
    _, rules = SEED_SEGMENTS[name]
    response = client.post(URL, {"name": name, "rules": rules}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["rules"] == rules
    assert body["kind"] == "dynamic"
    job = Job.objects.get(job_type="segment.refresh")
    assert job.payload == {"segmentId": body["id"]}


def test_high_value_rules_read_as_words(client):
    body = client.post(URL, {"name": "HV", "rules": HIGH_VALUE}, format="json").json()
    assert body["rulesText"] == "total spent > 500 and order count > 3"


def test_bad_rules_are_400_naming_the_rule_and_nothing_is_saved(client):
    rules = [*HIGH_VALUE, {"field": "order_count", "operator": "gt", "value": 5}]
    response = client.post(URL, {"name": "Broken", "rules": rules}, format="json")
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["field"] == "rules[2].operator"
    assert error["message"].startswith('unknown operator "gt"')
    assert response.json()["message"].startswith('rules[2].operator: unknown operator "gt"')
    assert not Segment.objects.exists()
    assert not Job.objects.exists()


def test_a_static_segment_takes_no_rules(client):
    response = client.post(
        URL, {"name": "VIP list", "kind": "static", "rules": HIGH_VALUE}, format="json"
    )
    assert response.status_code == 400
    assert error_fields(response) == {"rules": "invalid_rule"}


def test_refresh_adds_who_joined_removes_who_left_and_tells_the_bus(
    client, bus, django_capture_on_commit_callbacks
):
    rich = CustomerFactory(total_spent=5000, order_count=9)
    poor = CustomerFactory(total_spent=10, order_count=1)
    fading = CustomerFactory(total_spent=2000, order_count=6)
    segment = SegmentFactory(rules=HIGH_VALUE)
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(f"{URL}/{segment.pk}/refresh").json()
    assert (first["joined"], first["left"], first["memberCount"]) == (2, 0, 2)
    joined_at = SegmentMember.objects.get(customer=rich).joined_at

    fading.order_count = 2
    fading.save()
    poor.total_spent, poor.order_count = 1500, 7
    poor.save()
    bus.deliver()
    bus.clear()
    with clock.travel(timedelta(hours=1)):
        second = refresh_segment(segment=segment)
        bus.deliver()
    assert (second.joined, second.left, second.member_count) == (1, 1, 2)
    assert set(segment.memberships.values_list("customer", flat=True)) == {rich.pk, poor.pk}
    assert SegmentMember.objects.get(customer=rich).joined_at == joined_at
    segment.refresh_from_db()
    assert segment.member_count == 2 and segment.last_refreshed_at is not None

    published = {(e.event_name, e.user_id) for batch in bus for e in batch}
    assert published == {
        ("segment.entered", poor.external_id),
        ("segment.exited", fading.external_id),
    }
    stored = Event.objects.get(event_name="segment.exited")
    assert stored.properties == {
        "segmentId": segment.pk, "segmentName": segment.name, "customerId": fading.pk,
    }  # fmt: skip


def test_refresh_with_event_rules_counts_events_in_sql(django_capture_on_commit_callbacks):
    from analytics.services import record_events

    shopper, browser = CustomerFactory(), CustomerFactory()
    with django_capture_on_commit_callbacks(execute=True):
        record_events(
            [{"eventName": "product.viewed", "userId": browser.external_id, "messageId": f"v{n}"}
             for n in range(3)]
            + [{"eventName": "order.completed", "userId": shopper.external_id, "messageId": "o1",
                "properties": {"total": 10}}]
        )  # fmt: skip
    segment = SegmentFactory(
        rules=[
            {"event": "product.viewed", "atLeast": 3, "within": "7d"},
            {"event": "order.completed", "did": False, "since": "30_days_ago"},
        ]
    )
    refresh_segment(segment=segment)
    assert list(segment.memberships.values_list("customer", flat=True)) == [browser.pk]


def test_preview_counts_without_saving(client):
    CustomerFactory.create_batch(3, total_spent=2000, order_count=8)
    CustomerFactory(total_spent=5)
    response = client.post(f"{URL}/preview", {"rules": HIGH_VALUE, "sampleSize": 2}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3 and len(body["sample"]) == 2
    assert body["rulesText"] == "total spent > 500 and order count > 3"
    assert not Segment.objects.exists()

    bad = client.post(f"{URL}/preview", {"rules": [{"field": "x"}]}, format="json")
    assert bad.status_code == 400
    assert set(error_fields(bad)) == {"rules[0].operator", "rules[0].value"}


def test_members_list(client):
    customers = CustomerFactory.create_batch(3, total_spent=2000, order_count=8)
    segment = SegmentFactory(rules=HIGH_VALUE)
    refresh_segment(segment=segment)
    body = client.get(f"{URL}/{segment.pk}/members").json()
    assert body["count"] == 3
    assert {m["customer"]["id"] for m in body["results"]} == {c.pk for c in customers}


def test_static_members_by_hand(client):
    ada, bram = CustomerFactory(email="ada@example.com"), CustomerFactory()
    segment = SegmentFactory(kind=SegmentKind.STATIC, rules=[])
    added = client.post(
        f"{URL}/{segment.pk}/members",
        {"emails": ["ADA@example.com"], "externalIds": [bram.external_id]},
        format="json",
    )
    assert added.status_code == 200, added.json()
    assert added.json()["memberCount"] == 2
    removed = client.post(f"{URL}/{segment.pk}/members/remove", {"customerIds": [ada.pk]},
                          format="json")  # fmt: skip
    assert removed.json()["memberCount"] == 1
    unknown = client.post(f"{URL}/{segment.pk}/members", {"emails": ["who@example.com"]},
                          format="json")  # fmt: skip
    assert unknown.status_code == 400
    assert error_fields(unknown) == {"emails": "invalid"}


def test_a_dynamic_segment_takes_no_hand_picked_members(client):
    customer = CustomerFactory()
    segment = SegmentFactory(rules=HIGH_VALUE)
    response = client.post(f"{URL}/{segment.pk}/members", {"customerIds": [customer.pk]},
                           format="json")  # fmt: skip
    assert response.status_code == 409


def test_csv_import_fills_a_static_segment():
    ada = CustomerFactory(email="ada@example.com")
    bram = CustomerFactory(external_id="b-1")
    segment = SegmentFactory(kind=SegmentKind.STATIC, rules=[])
    result = import_members_csv(
        segment=segment,
        data=b"email,externalId\nADA@example.com,\n,b-1\nghost@example.com,\n",
        actor=Actor.system("tests"),
    )
    assert (result.added, result.matched, result.unknown) == (2, 2, ["ghost@example.com"])
    assert set(segment.memberships.values_list("customer", flat=True)) == {ada.pk, bram.pk}
    with pytest.raises(SegmentError, match="must name an"):
        import_members_csv(segment=segment, data="name\nAda\n", actor=Actor.system("tests"))


def test_the_beat_task_queues_a_refresh_job_that_the_queue_runs():
    CustomerFactory(total_spent=2000, order_count=8)
    segment = SegmentFactory(rules=HIGH_VALUE)
    SegmentFactory(kind=SegmentKind.STATIC, rules=[])
    assert queue_due_refreshes() == 1
    assert queue_due_refreshes() == 1  # same minute: the same job, not a second one
    assert Job.objects.filter(job_type="segment.refresh").count() == 1
    runner.drain(worker="w1")
    job = Job.objects.get(job_type="segment.refresh")
    assert job.status == JobStatus.COMPLETED
    assert job.result["memberCount"] == 1
    segment.refresh_from_db()
    assert segment.member_count == 1


def test_update_and_delete_are_audited(client):
    from benchbarrier.models import AuditLogEntry

    segment = client.post(URL, {"name": "HV", "rules": HIGH_VALUE}, format="json").json()
    patched = client.patch(f"{URL}/{segment['id']}", {"description": "Top buyers"}, format="json")
    assert patched.status_code == 200
    assert client.delete(f"{URL}/{segment['id']}").status_code == 204
    entries = AuditLogEntry.objects.filter(action__startswith="segment.").order_by("id")
    actions = list(entries.values_list("action", flat=True))
    assert actions == ["segment.created", "segment.updated", "segment.deleted"]


def test_a_refresh_run_twice_joins_and_tells_once():
    from tests.at_least_once import run_twice

    rich = CustomerFactory(total_spent=2000, order_count=8)
    segment = SegmentFactory(rules=HIGH_VALUE)
    queue_due_refreshes()

    run_twice("segment.refresh")

    assert list(segment.memberships.values_list("customer", flat=True)) == [rich.pk]
    assert Event.objects.filter(event_name="segment.entered").count() == 1
    segment.refresh_from_db()
    assert segment.member_count == 1
