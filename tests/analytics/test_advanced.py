"""The funnel and the cohorts on small event sets, each figure worked out by hand."""

from __future__ import annotations

import pytest

from analytics.services import record_events
from tests.analytics.test_metrics import event, shop  # noqa: F401  (the hand-checked set)

pytestmark = pytest.mark.django_db


def test_the_funnel_counts_steps_in_order_within_the_window(key_client):
    events = [
        # a: every step, in order, within a day or two
        event("product.viewed", "2026-10-01", "a"), event("cart.updated", "2026-10-02", "a"),
        event("checkout.started", "2026-10-02", "a"), event("order.completed", "2026-10-03", "a"),
        # b: checkout 15 days after the first view: beyond a 7-day window
        event("product.viewed", "2026-10-05", "b"), event("cart.updated", "2026-10-06", "b"),
        event("checkout.started", "2026-10-20", "b"),
        # c: ordered without the cart step: stops at the first step
        event("product.viewed", "2026-10-10", "c"), event("order.completed", "2026-10-11", "c"),
        # d: the cart before the first view does not count
        event("cart.updated", "2026-10-01", "d"), event("product.viewed", "2026-10-12", "d"),
        # e: first view before the period
        event("product.viewed", "2026-09-30", "e"), event("cart.updated", "2026-10-01", "e"),
    ]  # fmt: skip
    assert len(record_events(events).stored) == len(events)
    body = key_client("analytics").get("/api/analytics/funnel", {
        "start": "2026-10-01", "end": "2026-10-31", "window": "7d"}).json()  # fmt: skip
    assert body["steps"] == [
        {"event": "product.viewed", "customers": 4, "fromPrevious": None, "fromFirst": "1.0000"},
        {"event": "cart.updated", "customers": 2, "fromPrevious": "0.5000", "fromFirst": "0.5000"},
        {"event": "checkout.started", "customers": 1, "fromPrevious": "0.5000",
         "fromFirst": "0.2500"},
        {"event": "order.completed", "customers": 1, "fromPrevious": "1.0000",
         "fromFirst": "0.2500"},
    ]  # fmt: skip
    wide = key_client("analytics").get("/api/analytics/funnel", {
        "start": "2026-10-01", "end": "2026-10-31", "window": "30d",
        "steps": "product.viewed,checkout.started"}).json()  # fmt: skip
    assert [s["customers"] for s in wide["steps"]] == [4, 2]  # a, and b within 30 days


def test_monthly_cohorts_follow_each_first_order_month(shop, key_client):  # noqa: F811
    extra = [event("order.completed", "2026-11-03", "u1", "s9", orderId="9", total=5)]
    assert len(record_events(extra).stored) == 1
    body = key_client("analytics").get("/api/analytics/cohorts", {
        "start": "2026-09-01", "end": "2026-10-31", "months": "3"}).json()  # fmt: skip
    # September: u1 and u5 (u1 again in October and November); October: u2, u3
    assert body["cohorts"] == [
        {"month": "2026-09", "customers": 2, "retention": ["1.0000", "0.5000", "0.5000"]},
        {"month": "2026-10", "customers": 2, "retention": ["1.0000", "0.0000", "0.0000"]},
    ]


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/api/analytics/funnel", {"steps": "product.viewed"}, "steps"),
        ("/api/analytics/funnel", {"window": "soon"}, "window"),
        ("/api/analytics/funnel", {"period": "ever"}, "period"),
        ("/api/analytics/cohorts", {"months": "40"}, "months"),
    ],
)
def test_bad_parameters_are_400s_naming_them(key_client, path, params, field):
    answer = key_client("analytics").get(path, params)
    assert answer.status_code == 400 and answer.json()["errors"][0]["field"] == field


def test_the_admin_shows_the_funnel_and_the_cohorts(shop, staff_client):  # noqa: F811
    from django.urls import reverse

    page = staff_client.get(reverse("admin:analytics_analysis"), {
        "steps": "product.viewed,order.completed", "window": "7d",
        "start": "2026-09-01", "end": "2026-10-31"})  # fmt: skip
    text = page.content.decode()
    assert page.status_code == 200
    # u2 viewed on Oct 5 and ordered the same day: 1 customer at each step
    assert "<tr><td>order.completed</td><td>1</td><td>100%</td><td>100%</td></tr>" in text
    assert "<tr><td>2026-09</td><td>2</td><td>100%</td><td>50%</td>" in text
    assert text.count("<svg") >= 1
    bad = staff_client.get(reverse("admin:analytics_analysis"), {"window": "soon"})
    assert "errorlist" in bad.content.decode()
    listing = staff_client.get(reverse("admin:analytics_analyticsreport_changelist"))
    assert reverse("admin:analytics_analysis") in listing.content.decode()
