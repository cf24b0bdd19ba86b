"""The marketer's screens: customers, segments (validation, live preview, refresh,
CSV import) and events."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from analytics.services import record_events
from benchbarrier.models import AuditLogEntry
from marketing.demo import SEED_SEGMENTS
from marketing.models import Customer, Segment, SegmentKind
from marketing.services.segments import refresh_segment
from tests.conftest import run_due_jobs
from tests.marketing.factories import CustomerFactory, SegmentFactory

pytestmark = pytest.mark.django_db
HIGH_VALUE = SEED_SEGMENTS["High-Value Customers"][1]


def test_lists_render_with_their_filters(staff_client):
    CustomerFactory(name="Ada Moreau", total_spent=2000, order_count=8)
    segment = SegmentFactory(name="Big spenders", rules=HIGH_VALUE)
    refresh_segment(segment=segment)
    customers = staff_client.get(reverse("admin:marketing_customer_changelist"),
                                 {"segment": segment.pk, "has_ordered": "yes"})  # fmt: skip
    assert customers.status_code == 200
    assert b"Ada Moreau" in customers.content
    segments = staff_client.get(reverse("admin:marketing_segment_changelist")).content.decode()
    assert "total spent &gt; 500 and order count &gt; 3" in segments
    assert "view 1" in segments
    events = staff_client.get(
        reverse("admin:analytics_event_changelist"), {"event": "order.completed"}
    )
    assert events.status_code == 200


def test_a_bad_rule_is_shown_with_its_path_and_nothing_is_saved(staff_client):
    rules = [*HIGH_VALUE, {"field": "order_count", "operator": "gt", "value": 5}]
    response = staff_client.post(
        reverse("admin:marketing_segment_add"),
        {"name": "Broken", "description": "", "kind": "dynamic", "rules": json.dumps(rules),
         "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0"},
    )  # fmt: skip
    assert response.status_code == 200
    assert 'rules[2].operator: unknown operator "gt"' in response.content.decode().replace(
        "&quot;", '"'
    )
    assert not Segment.objects.exists()


def test_saving_a_segment_goes_through_the_service(staff_client):
    response = staff_client.post(
        reverse("admin:marketing_segment_add"),
        {"name": "High-Value", "description": "", "kind": "dynamic",
         "rules": json.dumps(HIGH_VALUE),
         "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0"},
    )  # fmt: skip
    assert response.status_code == 302
    segment = Segment.objects.get(name="High-Value")
    assert segment.rules == HIGH_VALUE
    assert AuditLogEntry.objects.filter(action="segment.created", actor_type="user").exists()
    page = staff_client.get(reverse("admin:marketing_segment_change", args=[segment.pk]))
    assert b"Live preview" in page.content


def test_live_preview_counts_or_names_the_problem(staff_client):
    CustomerFactory.create_batch(2, total_spent=2000, order_count=8)
    url = reverse("admin:marketing_segment_preview")
    good = staff_client.post(url, {"rules": HIGH_VALUE}, content_type="application/json")
    assert good.json()["count"] == 2
    assert good.json()["rulesText"] == "total spent > 500 and order count > 3"
    bad = staff_client.post(url, {"rules": [{"field": "x", "operator": "equals", "value": 1}]},
                            content_type="application/json")  # fmt: skip
    assert bad.status_code == 400
    assert bad.json()["errors"][0].startswith('rules[0].field: unknown field "x"')


def test_refresh_action(staff_client):
    CustomerFactory(total_spent=2000, order_count=8)
    segment = SegmentFactory(rules=HIGH_VALUE)
    response = staff_client.post(
        reverse("admin:marketing_segment_changelist"),
        {"action": "refresh_now", "_selected_action": [segment.pk]},
        follow=True,
    )
    assert "1 joined, 0 left, 1 members" in response.content.decode()
    segment.refresh_from_db()
    assert segment.member_count == 1


def test_csv_import_page(staff_client):
    CustomerFactory(email="ada@example.com")
    segment = SegmentFactory(kind=SegmentKind.STATIC, rules=[])
    url = reverse("admin:marketing_segment_import", args=[segment.pk])
    assert staff_client.get(url).status_code == 200
    upload = SimpleUploadedFile("list.csv", b"email\nada@example.com\nghost@example.com\n")
    response = staff_client.post(url, {"file": upload}, follow=True)
    text = response.content.decode()
    assert "1 added (1 matched)" in text
    assert "1 row(s) name no customer: ghost@example.com" in text
    assert segment.memberships.count() == 1


def test_customer_page_shows_stats_events_and_stamps_consent(staff_client):
    record_events([{"eventName": "order.completed", "userId": "u1", "messageId": "o1",
                    "properties": {"orderId": "o1", "total": 99}}])  # fmt: skip
    run_due_jobs()
    customer = Customer.objects.get(external_id="u1")
    url = reverse("admin:marketing_customer_change", args=[customer.pk])
    page = staff_client.get(url).content.decode()
    assert "order.completed" in page and "99.00" in page
    response = staff_client.post(
        url,
        {"external_id": "u1", "email": "ada@example.com", "name": "Ada", "phone": "",
         "timezone": "Europe/Paris", "locale": "fr", "email_opt_in": "on",
         "email_opt_in_source": "phone call", "sms_opt_in_source": "", "traits": "{}"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    customer.refresh_from_db()
    assert customer.email_opt_in and customer.email_opt_in_at is not None
    assert customer.email_opt_in_source == "phone call"
    assert customer.order_count == 1
    assert AuditLogEntry.objects.filter(action="customer.updated").exists()


def test_an_unknown_time_zone_is_refused_in_the_admin(staff_client):
    customer = CustomerFactory()
    response = staff_client.post(
        reverse("admin:marketing_customer_change", args=[customer.pk]),
        {"external_id": customer.external_id, "email": customer.email, "name": "x",
         "phone": "", "timezone": "Mars/Olympus", "locale": "", "email_opt_in_source": "",
         "sms_opt_in_source": "", "traits": "{}"},
    )  # fmt: skip
    assert response.status_code == 200
    assert 'Unknown time zone "Mars/Olympus"' in response.content.decode().replace("&quot;", '"')
