"""Orders forwarded to GA4's Measurement Protocol: a local fake receives what GA4 would,
one client per request and 25 events at most, names and values within the limits, old
orders skipped; nothing at all when it is not configured."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from analytics.services import record_events
from benchbarrier import clock
from jobs.models import Job
from tests.conftest import run_due_jobs
from tests.local_server import JsonHandler, LocalServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def ga4_collect(settings):
    received: list[dict] = []

    class Handler(JsonHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received.append({"query": parse_qs(urlsplit(self.path).query), "body": body})
            self.send_response(204)
            self.end_headers()

    server = LocalServer(Handler)
    settings.GA4_MEASUREMENT_ID, settings.GA4_API_SECRET = "G-TEST123", "s3cret"
    settings.GA4_MP_URL = f"{server.url}/mp/collect"
    settings.GA4_MP_ALLOWED_HOSTS = ["127.0.0.1"]
    yield received
    server.close()


def order(n: int, session: str, when=None, **properties) -> dict:
    stamp = (when or clock.now()).isoformat()
    return {"eventName": "order.completed", "userId": "u1", "sessionId": session,
            "messageId": f"o{n}-{session}", "timestamp": stamp,
            "properties": {"orderId": f"BB-{n}", "total": "59.90", "currency": "eur",
                           **properties}}  # fmt: skip


def test_an_order_is_a_purchase_with_its_items(ga4_collect):
    record_events([order(1, "s1", gaClientId="123.456", discountCode="AUTUMN10", items=[
        {"productId": "sku-1", "name": "Trail shoes " + "x" * 120, "category": "shoes",
         "price": "59.90", "quantity": 1}])])  # fmt: skip
    run_due_jobs()
    (request,) = ga4_collect
    assert request["query"] == {"measurement_id": ["G-TEST123"], "api_secret": ["s3cret"]}
    body = request["body"]
    assert (body["client_id"], body["user_id"]) == ("123.456", "u1")
    (event,) = body["events"]
    assert event["name"] == "purchase" and event["timestamp_micros"] > 0
    assert event["params"]["transaction_id"] == "BB-1" and event["params"]["value"] == 59.9
    assert (event["params"]["currency"], event["params"]["coupon"]) == ("EUR", "AUTUMN10")
    item = event["params"]["items"][0]
    assert item["item_id"] == "sku-1" and len(item["item_name"]) == 100  # cut to the limit
    assert item["item_category"] == "shoes"


def test_one_client_per_request_25_events_at_most_and_old_orders_skipped(ga4_collect):
    old = clock.now() - timedelta(hours=73)
    record_events([order(n, "s1") for n in range(30)] + [order(99, "s2"),
                                                          order(100, "s3", when=old)])  # fmt: skip
    run_due_jobs()
    sizes = sorted((r["body"]["client_id"], len(r["body"]["events"])) for r in ga4_collect)
    assert sizes == [("s1", 5), ("s1", 25), ("s2", 1)]
    job = Job.objects.get(job_type="analytics.forward")
    assert job.result == {"sent": 31, "requests": 3, "tooOld": 1}


def test_nothing_is_forwarded_when_not_configured(ga4_collect, settings):
    settings.GA4_API_SECRET = ""
    record_events([order(1, "s1")])
    run_due_jobs()
    assert ga4_collect == [] and not Job.objects.filter(job_type="analytics.forward").exists()


def test_a_forward_run_twice_repeats_the_same_purchase_which_ga4_counts_once(ga4_collect):
    from tests.at_least_once import run_twice

    record_events([order(1, "s1")])

    run_twice("analytics.forward")

    first, second = (r["body"]["events"] for r in ga4_collect)
    assert first == second  # the same transaction_id and timestamp: one purchase in GA4
    assert first[0]["params"]["transaction_id"] == "BB-1"
