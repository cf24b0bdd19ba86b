"""Every seed metric on a small event set, each figure worked out by hand below, and the
query API (JSON and CSV, each bad parameter named)."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from decimal import Decimal

import pytest

from analytics.query import parse_period
from analytics.services import record_events
from benchbarrier.metrics_registry import Period, get_metric

pytestmark = pytest.mark.django_db
N = iter(range(10_000))


def event(name: str, when: str, user: str | None = None, session: str | None = None,
          **properties) -> dict:  # fmt: skip
    return {"eventName": name, "userId": user, "sessionId": session,
            "messageId": f"m{next(N)}", "timestamp": f"{when}T12:00:00Z",
            "properties": properties}  # fmt: skip


@pytest.fixture
def shop(settings):
    settings.REPORTING_CURRENCY = "USD"
    settings.CURRENCY_RATES = ["EUR=1.10"]
    events = [
        event("user.created", "2026-08-20", "u1"),
        event("user.created", "2026-10-01", "u2"),
        event("user.created", "2026-11-02", "u6"),
        # September: u1 and u5 buy (100 + 30)
        event("order.completed", "2026-09-10", "u1", "s0", orderId="1", total="100", currency="USD"),
        event("order.completed", "2026-09-15", "u5", "s5", orderId="2", total=30, currency="USD"),
        # October: 5 sessions, 3 with an order; 50 USD + 40 EUR (44 USD) + 20 JPY (no rate)
        event("page.viewed", "2026-10-02", "u1", "s1"),
        event("order.completed", "2026-10-02", "u1", "s1", orderId="3", total="50.00"),
        event("product.viewed", "2026-10-05", "u2", "s2", productId="p1"),
        event("order.completed", "2026-10-05", "u2", "s2", orderId="4", total="40", currency="EUR"),
        event("order.completed", "2026-10-07", "u3", "s3", orderId="5", total="20", currency="JPY"),
        event("page.viewed", "2026-10-08", None, "s4"),
        event("product.viewed", "2026-10-09", None, "s6", productId="p2"),
        # 4 emails sent in October: d1 and d2 opened (d2 in November), d1 clicked
        *[event("email.sent", "2026-10-10", "u1", deliveryId=d) for d in (1, 2, 3, 4)],
        event("email.opened", "2026-10-11", "u1", deliveryId=1),
        event("email.clicked", "2026-10-11", "u1", deliveryId=1),
        event("email.opened", "2026-11-01", "u1", deliveryId=2),
        # post 1 pulled twice (the later counts), post 2 once: (8+2+1) + (3+0+2) = 16
        event("social.engagement", "2026-10-03", None, "ops", postId=1, likes=5, comments=1, shares=0),
        event("social.engagement", "2026-10-04", None, "ops", postId=1, likes=8, comments=2, shares=1),
        event("social.engagement", "2026-10-05", None, "ops", postId=2, likes=3, comments=0, shares=2),
        # active at the end of October: 20 a month + 120 a year (10 a month) = 30
        event("subscription.started", "2026-09-01", "u1", subscriptionId="a", amount=20,
              interval="month"),
        event("subscription.started", "2026-10-10", "u2", subscriptionId="b", amount="120",
              interval="year"),
        event("subscription.started", "2026-10-12", "u3", subscriptionId="c", amount=15,
              interval="month"),
        event("subscription.cancelled", "2026-10-20", "u3", subscriptionId="c"),
    ]  # fmt: skip
    result = record_events(events)
    assert len(result.stored) == len(events), [i.errors for i in result.items if i.errors]


def october() -> Period:
    return parse_period(None, "2026-10-01", "2026-10-31")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("revenue", Decimal("94.00")),  # 50 + 40 x 1.10; the JPY order is left out
        ("orders", 3),
        ("average_order_value", Decimal("47.00")),  # 94 / the 2 orders it counts
        ("website_visits", 5),  # s1, s2, s3, s4, s6
        ("conversion_rate", Decimal("0.6000")),  # 3 of 5 sessions ordered
        ("email_open_rate", Decimal("0.5000")),  # d1, d2 of 4
        ("click_through_rate", Decimal("0.2500")),  # d1 of 4
        ("social_engagement", 16),
        ("mrr", Decimal("30.00")),
        ("customer_count", 2),  # u1, u2 signed up before November
        ("churn_rate", Decimal("0.5000")),  # u1 and u5 bought before; u5 did not in October
        ("ltv", Decimal("74.67")),  # (100 + 30 + 50 + 44) / u1, u5, u2
    ],
)
@pytest.mark.parametrize("rollups", [True, False], ids=["rollups", "events"])
def test_each_seed_metric_on_a_hand_checked_set(shop, name, expected, rollups, settings):
    settings.ANALYTICS_ROLLUPS = rollups  # the same figure from the rollups and the events
    assert get_metric(name).compute(october()) == expected


def test_the_query_api_splits_by_month_and_says_what_it_left_out(shop, key_client):
    api = key_client("analytics")
    body = api.get("/api/analytics/query", {"metrics": "revenue,orders", "dimensions": "month",
                                            "start": "2026-09-01", "end": "2026-10-31"}).json()  # fmt: skip
    assert body["rows"] == [{"month": "2026-09", "revenue": "130.00", "orders": 2},
                            {"month": "2026-10", "revenue": "94.00", "orders": 3}]  # fmt: skip
    assert body["warnings"] == [
        "1 order(s) in JPY left out of revenue: add its rate to CURRENCY_RATES"
    ]
    weekly = api.get("/api/analytics/query", {"metrics": "orders", "dimensions": "week",
                                              "start": "2026-10-01", "end": "2026-10-14"}).json()  # fmt: skip
    assert weekly["rows"] == [{"week": "2026-W40", "orders": 1}, {"week": "2026-W41", "orders": 2},
                              {"week": "2026-W42", "orders": 0}]  # fmt: skip
    exported = api.get("/api/analytics/query", {"metrics": "revenue", "dimensions": "month",
                                                "start": "2026-09-01", "end": "2026-10-31",
                                                "output": "csv"})  # fmt: skip
    assert exported["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode())))
    assert rows == [{"month": "2026-09", "revenue": "130.00"},
                    {"month": "2026-10", "revenue": "94.00"}]  # fmt: skip
    registry = api.get("/api/analytics/metrics").json()
    seed = {
        "revenue",
        "orders",
        "average_order_value",
        "conversion_rate",
        "email_open_rate",
        "click_through_rate",
        "social_engagement",
        "website_visits",
        "mrr",
        "customer_count",
        "churn_rate",
        "ltv",
    }  # (and the bot's, registered by chatbot)
    assert seed <= {m["name"] for m in registry} and registry[0]["formula"]


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"metrics": "profit"}, "metrics", 'unknown metric "profit"'),
        ({}, "metrics", "one or more metrics"),
        ({"metrics": "mrr", "dimensions": "channel"}, "dimensions",
         "mrr cannot be split by channel"),
        ({"metrics": "revenue", "dimensions": "colour"}, "dimensions", 'unknown dimension "colour"'),
        ({"metrics": "revenue", "dimensions": "week,month"}, "dimensions", "one time dimension"),
        ({"metrics": "revenue", "period": "forever"}, "period", "one of today"),
        ({"metrics": "revenue", "start": "2026-13-01", "end": "2026-10-01"}, "start", "a date"),
        ({"metrics": "revenue", "start": "2026-10-02", "end": "2026-10-01"}, "end", "on or after"),
        ({"metrics": "revenue", "output": "xml"}, "output", "json or csv"),
    ],
)  # fmt: skip
def test_each_bad_parameter_is_a_400_naming_it(key_client, params, field, words):
    answer = key_client("analytics").get("/api/analytics/query", params)
    assert answer.status_code == 400
    error = answer.json()["errors"][0]
    assert error["field"] == field and words in error["message"]


def test_a_named_period_is_whole_days_in_the_site_time_zone():
    period = parse_period("last_7_days", None, None)
    assert (period.end - period.start).days == 7
    assert period.start.time() == datetime.min.time()
