"""`content.generate`: batch generation on the queue, with progress and retries."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ai_content.demo import load
from ai_content.models import AIGeneration, AIPrompt
from benchbarrier import clock
from jobs import runner
from jobs.models import JobStatus
from jobs.services import enqueue

pytestmark = pytest.mark.django_db


@pytest.fixture
def announcement():
    load(lambda line: None)
    return AIPrompt.objects.get(slug="product-announcement")


def items(count: int) -> list[dict]:
    return [
        {"key": f"sku-{n}", "variables": {"product_name": f"Shoe {n}", "price": "119 EUR",
                                          "features": "light", "audience": "runners",
                                          "tone": "warm", "platform": "Instagram",
                                          "max_length": "280"}}
        for n in range(count)
    ]  # fmt: skip


def test_descriptions_for_many_products_in_parallel_with_progress(
    fake_openai, announcement, settings
):
    settings.AI_CONCURRENCY = 8
    fake_openai.delay = 0.1
    batch = [*items(30), {"key": "broken", "variables": {"product_name": "X"}}]
    job, _ = enqueue(job_type="content.generate",
                     payload={"promptId": announcement.pk, "items": batch})  # fmt: skip
    runner.drain(worker="w1")
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED, job.error_message
    assert job.result["generated"] == 30
    assert list(job.result["failed"]) == ["broken"]
    assert "variables.price: required" in job.result["failed"]["broken"]
    assert job.progress["done"] == job.progress["total"] == 31
    assert job.progress["generated"] == 30 and job.progress["failed"] == 1
    assert len(fake_openai.requests) == 30
    assert fake_openai.max_in_flight > 1, "calls run side by side"
    keys = set(AIGeneration.objects.filter(job_id=job.id).values_list("item_key", flat=True))
    assert keys == {f"sku-{n}" for n in range(30)}
    assert AIGeneration.objects.get(item_key="sku-3").prompt_version == 1


def test_a_rate_limited_job_retries_and_skips_what_it_already_generated(
    fake_openai, announcement, settings
):
    settings.AI_CONCURRENCY = 4
    fake_openai.fail_first = 3
    job, _ = enqueue(job_type="content.generate",
                     payload={"promptId": announcement.pk, "items": items(10)})  # fmt: skip
    runner.drain(worker="w1")
    job.refresh_from_db()
    assert job.status == JobStatus.RETRYING
    assert "3 item(s) to retry" in job.error_message
    assert job.progress["generated"] == 7 and job.progress["total"] == 10
    clock.advance(timedelta(minutes=5))
    runner.drain(worker="w1")
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED
    assert job.result["generated"] == 10
    assert len(fake_openai.requests) == 13, "the 7 done items were not asked for again"
    assert AIGeneration.objects.count() == 10


def test_a_bad_payload_is_refused_when_enqueued(key_client):
    client = key_client("automation")
    response = client.post(
        "/api/automation/jobs",
        {"jobType": "content.generate", "payload": {"items": [{"key": "a"}]}},
        format="json",
    )
    assert response.status_code == 400
    response = client.post(
        "/api/automation/jobs",
        {"jobType": "content.generate", "payload": {"customPrompt": "x", "items": []}},
        format="json",
    )
    assert response.status_code == 400 and "payload.items" in response.json()["message"]


def test_a_budget_spent_mid_batch_stops_new_calls_and_records_those_made(
    fake_openai, announcement, settings
):
    from decimal import Decimal

    from benchbarrier.models import SpendEntry
    from benchbarrier.services.spend import record_spend

    settings.AI_CONCURRENCY = 2
    # 0.0001 of the 500 left: about three calls at 0.000042
    record_spend(service="openai", operation="earlier", cost=Decimal("499.9999"))
    job, _ = enqueue(job_type="content.generate",
                     payload={"promptId": announcement.pk, "items": items(6)})  # fmt: skip
    runner.drain(worker="w1")
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "monthly openai budget of 500.00 USD is spent" in job.error_message
    made = len(fake_openai.requests)
    assert 3 <= made < 6, "no new call once the budget was spent"
    assert AIGeneration.objects.filter(job_id=job.id).count() == made
    calls = SpendEntry.objects.filter(service="openai", operation="chat.completion")
    assert calls.count() == made, "every call made is in the ledger"
    assert job.progress["generated"] == made


def test_a_batch_run_twice_generates_each_item_once(fake_openai, announcement):
    from tests.at_least_once import run_twice

    enqueue(job_type="content.generate",
            payload={"promptId": announcement.pk, "items": items(3)})  # fmt: skip

    run_twice("content.generate")

    assert AIGeneration.objects.count() == 3
    assert len(fake_openai.requests) == 3
