"""The product catalogue the shop keeps in sync: a bulk upsert where one bad product never
sinks the others, a change older than the one kept changing nothing, and
`product.updated` events through the bus."""

from __future__ import annotations

import pytest

from marketing.models import Product
from tests.conftest import run_due_jobs

pytestmark = pytest.mark.django_db

TRAIL = {"productId": "TR-2", "name": "Trail Runner 2", "price": "89.00", "currency": "EUR",
         "description": "A light trail shoe with a grippy sole.", "category": "shoes",
         "url": "https://shop.example/p/tr-2", "attributes": {"sizeRange": "36-47"}}  # fmt: skip


def test_a_batch_stores_the_good_products_and_names_what_is_wrong_with_the_bad(key_client):
    api = key_client("marketing")
    answer = api.post("/api/marketing/products", {"products": [
        TRAIL, {"productId": "CAP", "name": "Running cap", "price": "-3"},
        {"productId": "SOCK", "name": "Trail socks", "inStock": False},
    ]}, format="json")  # fmt: skip
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert (body["created"], body["rejected"]) == (2, 1)
    bad = body["results"][1]
    assert bad["status"] == "rejected" and bad["productId"] == "CAP"
    assert bad["errors"][0]["field"] == "price"
    trail = Product.objects.get(sku="TR-2")
    assert trail.attributes == {"sizeRange": "36-47"}  # the shop's own keys, as given
    listed = api.get("/api/marketing/products", {"search": "trail"}).json()
    assert {p["productId"] for p in listed["results"]} == {"TR-2", "SOCK"}


def test_an_older_change_changes_nothing_and_a_newer_one_updates(key_client):
    api = key_client("marketing")
    api.post("/api/marketing/products", {"products": [
        {**TRAIL, "changedAt": "2026-11-20T10:00:00Z"}]}, format="json")  # fmt: skip
    late = api.post("/api/marketing/products", {"products": [
        {**TRAIL, "price": "10.00", "changedAt": "2026-11-19T10:00:00Z"}]}, format="json")  # fmt: skip
    assert late.json()["results"][0]["status"] == "unchanged"
    newer = api.post("/api/marketing/products", {"products": [
        {**TRAIL, "price": "79.00", "changedAt": "2026-11-21T10:00:00Z"}]}, format="json")  # fmt: skip
    assert newer.json()["updated"] == 1
    assert str(Product.objects.get(sku="TR-2").price) == "79.00"


def test_an_empty_or_malformed_batch_is_a_400_naming_products(key_client):
    api = key_client("marketing")
    for body in ({}, {"products": []}, {"products": [{"name": "no id"}]}):
        answer = api.post("/api/marketing/products", body, format="json")
        assert answer.status_code == 400
        assert answer.json()["errors"][0]["field"].startswith("products")


def test_product_updated_events_keep_the_catalogue(key_client):
    from analytics.services import record_events

    event = {"eventName": "product.updated", "messageId": "p1", "sessionId": "catalogue-sync",
             "timestamp": "2026-11-22T10:00:00Z", "properties": {**TRAIL, "price": "99.00"}}  # fmt: skip
    record_events([event])
    run_due_jobs()
    assert str(Product.objects.get(sku="TR-2").price) == "99.00"
    stale = {**event, "messageId": "p0", "timestamp": "2026-11-21T10:00:00Z",
             "properties": {**TRAIL, "price": "1.00"}}  # fmt: skip
    record_events([stale])  # arrives late: older than the change kept
    run_due_jobs()
    assert str(Product.objects.get(sku="TR-2").price) == "99.00"
