from __future__ import annotations

import pytest
from django.db import connection

from analytics.admin import EstimatedCountPaginator
from analytics.models import Event
from analytics.services import record_events

pytestmark = pytest.mark.django_db


@pytest.mark.postgres
def test_big_unfiltered_event_lists_are_counted_from_statistics():
    record_events([{"eventName": "user.login", "userId": f"u{n}"} for n in range(30)])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE analytics_events")

    class SmallThreshold(EstimatedCountPaginator):
        estimate_above = 10

    assert SmallThreshold(Event.objects.order_by("-id"), 10).count == 30  # from pg_class
    filtered = Event.objects.filter(user_id="u1").order_by("-id")
    assert SmallThreshold(filtered, 10).count == 1  # filtered: exact
    assert EstimatedCountPaginator(Event.objects.order_by("-id"), 10).count == 30  # small: exact


def test_events_list_and_detail_render(staff_client):
    record_events([{"eventName": "order.completed", "userId": "u1", "properties": {"total": 5}}])
    event = Event.objects.get()
    listing = staff_client.get("/admin/analytics/event/", {"event": "order.completed"})
    assert b"order.completed" in listing.content
    detail = staff_client.get(f"/admin/analytics/event/{event.pk}/change/")
    assert b"&quot;total&quot;: 5" in detail.content
