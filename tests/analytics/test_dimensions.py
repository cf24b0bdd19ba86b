"""Metrics split by the dimensions beyond time (product_category, channel, campaign,
customer_segment) and filtered by them, each figure worked out by hand; a metric that
cannot be split says so with a 400."""

from __future__ import annotations

import pytest

from analytics.models import AnalyticsReport, ReportRun
from analytics.services import record_events
from jobs.services import enqueue
from marketing.models import Campaign, Customer, Segment
from tests.analytics.test_metrics import event
from tests.conftest import run_due_jobs

pytestmark = pytest.mark.django_db
OCTOBER = {"start": "2026-10-01", "end": "2026-10-31"}


@pytest.fixture
def shop(settings):
    settings.REPORTING_CURRENCY = "USD"
    segment = Segment.objects.create(name="Buyers", kind="static")
    segment.memberships.create(customer=Customer.objects.create(external_id="u1",
                                                                email="u1@example.com"))  # fmt: skip
    autumn = Campaign.objects.create(name="Autumn letter", type="email")
    record_events([
        # s1 came from an email of the "autumn" campaign; u1 bought shoes and socks
        event("page.viewed", "2026-10-05", "u1", "s1", utm_medium="email", utm_campaign="autumn"),
        event("order.completed", "2026-10-05", "u1", "s1", orderId="1", total="50", items=[
            {"category": "shoes", "price": "30", "quantity": 1},
            {"category": "socks", "price": "10", "quantity": 2}]),
        # s2 came straight in; u2 bought shoes
        event("page.viewed", "2026-10-06", "u2", "s2"),
        event("order.completed", "2026-10-06", "u2", "s2", orderId="2", total="40",
              items=[{"category": "shoes", "price": "40"}]),
        # s3 came from an ad and left
        event("page.viewed", "2026-10-07", "u3", "s3", utm_medium="cpc"),
        # the campaign's two emails (one opened) and one other
        event("email.sent", "2026-10-02", "u1", deliveryId=1, campaignId=autumn.pk),
        event("email.sent", "2026-10-02", "u2", deliveryId=2, campaignId=autumn.pk),
        event("email.opened", "2026-10-03", "u1", deliveryId=1),
        event("email.sent", "2026-10-02", "u3", deliveryId=3),
    ])  # fmt: skip
    return autumn


def rows(api, **params):
    answer = api.get("/api/analytics/query", {**OCTOBER, **params})
    assert answer.status_code == 200, answer.json()
    return answer.json()["rows"]


def test_order_metrics_split_by_product_category(shop, key_client):
    api = key_client("analytics")
    assert rows(api, metrics="revenue,orders,average_order_value",
                dimensions="product_category") == [
        # shoes: 30 + 40 in two orders; socks: 2 x 10 in one
        {"product_category": "shoes", "revenue": "70.00", "orders": 2,
         "average_order_value": "35.00"},
        {"product_category": "socks", "revenue": "20.00", "orders": 1,
         "average_order_value": "20.00"},
    ]  # fmt: skip


def test_channels_are_a_sessions_utm_medium_or_direct_and_the_messages_own(shop, key_client):
    api = key_client("analytics")
    found = rows(api, metrics="revenue,website_visits,email_open_rate", dimensions="channel")
    assert found == [
        {"channel": "cpc", "revenue": "0.00", "website_visits": 1, "email_open_rate": None},
        {"channel": "direct", "revenue": "40.00", "website_visits": 1, "email_open_rate": None},
        # email: the order of s1, and the three emails sent (one opened)
        {"channel": "email", "revenue": "50.00", "website_visits": 1,
         "email_open_rate": "0.3333"},
    ]  # fmt: skip


def test_campaigns_are_a_campaigns_emails_or_a_visits_utm_campaign(shop, key_client):
    api = key_client("analytics")
    found = rows(api, metrics="email_open_rate,website_visits", dimensions="campaign")
    assert found == [
        {"campaign": "Autumn letter", "email_open_rate": "0.5000", "website_visits": 0},
        {"campaign": "autumn", "email_open_rate": None, "website_visits": 1},
    ]


def test_customer_segments_split_by_todays_members(shop, key_client):
    api = key_client("analytics")
    found = rows(api, metrics="revenue,customer_count,ltv", dimensions="customer_segment")
    buyers = next(r for r in found if r["customer_segment"] == "Buyers")
    assert buyers == {"customer_segment": "Buyers", "revenue": "50.00", "customer_count": 0,
                      "ltv": "50.00"}  # fmt: skip


def test_filters_narrow_every_metric_and_combine_with_a_split(shop, key_client):
    api = key_client("analytics")
    assert rows(api, metrics="revenue,orders", filters="channel:email") == [
        {"revenue": "50.00", "orders": 1}]  # fmt: skip
    assert rows(api, metrics="revenue", filters="product_category:socks") == [{"revenue": "20.00"}]
    assert rows(api, metrics="revenue", dimensions="product_category",
                filters="customer_segment:Buyers") == [
        {"product_category": "shoes", "revenue": "30.00"},
        {"product_category": "socks", "revenue": "20.00"},
    ]  # fmt: skip
    assert rows(api, metrics="revenue", filters="channel:nowhere") == [{"revenue": "0.00"}]


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"metrics": "mrr", "filters": "channel:email"}, "filters",
         "mrr cannot be split by channel"),
        ({"metrics": "revenue", "filters": "channel"}, "filters", "write dimension:value"),
        ({"metrics": "revenue", "dimensions": "channel,campaign"}, "dimensions",
         "one dimension beyond time at most"),
        ({"metrics": "revenue", "dimensions": "channel", "filters": "product_category:shoes"},
         "filters", "split by product_category or filter by it"),
    ],
)  # fmt: skip
def test_what_cannot_be_split_or_filtered_is_a_400_naming_it(shop, key_client, params, field,
                                                             words):  # fmt: skip
    answer = key_client("analytics").get("/api/analytics/query", {**OCTOBER, **params})
    assert answer.status_code == 400
    error = answer.json()["errors"][0]
    assert error["field"] == field and words in error["message"], error


def test_a_report_splits_what_it_can_and_names_the_rest(shop):
    report = AnalyticsReport.objects.get(name="Weekly Marketing Performance")
    enqueue(job_type="report.generate",
            payload={"reportId": report.pk, "send": False, **OCTOBER})  # fmt: skip
    run_due_jobs()
    figures = ReportRun.objects.get(report=report).figures
    email = next(r for r in figures["breakdown"]["channel"] if r["channel"] == "email")
    assert email["email_open_rate"] == "0.3333" and email["social_engagement"] == 0
    assert figures["unavailable"] == {
        "campaign": "social_engagement cannot be split by campaign; the totals above hold"
    }
    by_campaign = {r["campaign"]: r for r in figures["breakdown"]["campaign"]}
    assert by_campaign["Autumn letter"]["click_through_rate"] == "0.0000"


def test_a_reports_filters_are_checked_and_applied(shop, key_client):
    api = key_client("analytics")
    made = api.post("/api/analytics/reports", {
        "name": "Email revenue", "reportType": "sales", "schedule": "monthly",
        "recipients": ["me@example.com"],
        "config": {"metrics": ["revenue", "mrr"], "filters": ["channel:email"]},
    }, format="json")  # fmt: skip
    assert made.status_code == 400
    assert made.json()["errors"][0] == {"field": "config.filters",
                                        "message": "mrr cannot be split by channel"} | {
        k: v for k, v in made.json()["errors"][0].items() if k not in ("field", "message")}  # fmt: skip
    made = api.post("/api/analytics/reports", {
        "name": "Email revenue", "reportType": "sales", "schedule": "monthly",
        "recipients": ["me@example.com"],
        "config": {"metrics": ["revenue"], "filters": [{"dimension": "channel",
                                                        "value": "email"}]},
    }, format="json")  # fmt: skip
    assert made.status_code == 201, made.json()
    enqueue(job_type="report.generate",
            payload={"reportId": made.json()["id"], "send": False, **OCTOBER})  # fmt: skip
    run_due_jobs()
    assert ReportRun.objects.get().figures["metrics"][0]["value"] == "50.00"
