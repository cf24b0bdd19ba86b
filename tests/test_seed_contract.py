"""The seed's examples, posted as the seed writes them (`../shared/seed/
backend-automation.md`): each is accepted and does what it says. The workflows' own
end-to-end runs are in tests/workflows/test_seed_workflows.py."""

from __future__ import annotations

import pytest
from django.core import mail

from ai_content.models import AIGeneration
from jobs.models import Job
from marketing.models import Customer, DeliveryStatus, EmailDelivery
from tests.api_errors import error_fields
from tests.conftest import run_due_jobs
from workflows.demo import SEED_BODIES

pytestmark = pytest.mark.django_db
JOBS = "/api/automation/jobs"


@pytest.fixture
def site(key_client):
    return key_client("automation", "ai", "marketing", "analytics")


def test_both_seed_workflows_are_accepted_byte_for_byte(site):
    for text in SEED_BODIES.values():
        response = site.post("/api/automation/workflows", text, content_type="application/json")
        assert response.status_code == 201, response.json()


def test_the_seeds_email_job_is_queued_through_the_email_path(site, email_at_noon):
    Customer.objects.create(external_id="u1", email="ada@example.com", name="Ada Moreau",
                            email_opt_in=True)  # fmt: skip
    body = {"jobType": "email.send", "payload": {"to": "ada@example.com",
            "template": "abandoned-cart-reminder",
            "variables": {"cart": {"items": [{"name": "Trail shoes", "quantity": 1,
                                              "price": "119.00"}], "total": "119.00"}}}}  # fmt: skip
    response = site.post(JOBS, body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["payload"] == body["payload"], "kept as the caller sent it"
    assert response.json()["maxAttempts"] == 3, "the seed's email.send default"
    run_due_jobs()
    job = Job.objects.get(pk=response.json()["id"])
    delivery = EmailDelivery.objects.get(pk=job.result["deliveryId"])
    assert delivery.status == DeliveryStatus.SENT and delivery.customer.external_id == "u1"
    assert [m.subject for m in mail.outbox] == ["Ada, your cart is waiting"]
    assert "Trail shoes" in mail.outbox[0].body
    # Consent applies as for every marketing email: a stranger is not emailed.
    stranger = {**body, "payload": {**body["payload"], "to": "stranger@example.com"}}
    site.post(JOBS, stranger, format="json")
    run_due_jobs()
    skipped = EmailDelivery.objects.get(to_email="stranger@example.com")
    assert (skipped.status, skipped.reason) == ("skipped", "no email opt-in")
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"to": "ada@example.com", "template": "abandoned-cart-remindr"}, "payload.template"),
        ({"to": "not an address", "template": "welcome"}, "payload.to"),
        ({"to": "ada@example.com", "template": "abandoned-cart-reminder",
          "variables": {"cart": {"items": []}}}, "payload.variables.cart.total"),
        ({"to": "ada@example.com", "template": "welcome", "cc": "x"}, "payload"),
    ],
)  # fmt: skip
def test_a_bad_email_job_is_400_naming_the_field(site, payload, field):
    response = site.post(JOBS, {"jobType": "email.send", "payload": payload}, format="json")
    assert response.status_code == 400, response.json()
    assert field in error_fields(response), response.json()
    assert not Job.objects.exists()


def test_the_seeds_content_job_saves_under_the_callers_id(site, fake_openai):
    body = {"jobType": "content.generate",
            "payload": {"prompt": "Write a tagline for a trail running shoe.",
                        "options": {"model": "gpt-4o-mini", "temperature": 0.4, "maxTokens": 60},
                        "id": "tagline-42"}}  # fmt: skip
    response = site.post(JOBS, body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["maxAttempts"] == 2, "the seed's content.generate default"
    run_due_jobs()
    generation = AIGeneration.objects.get(item_key="tagline-42")
    assert generation.content.startswith("Meet the Trail Runner 2")
    sent = fake_openai.requests[0]["body"]
    assert (sent["model"], sent["temperature"], sent["max_tokens"]) == ("gpt-4o-mini", 0.4, 60)
    listed = site.get("/api/ai/generations", {"itemKey": "tagline-42"}).json()["results"]
    assert [g["id"] for g in listed] == [generation.pk]
    assert isinstance(listed[0]["cost"], float)


SEED_PROMPT_VARIABLES = {
    "product-announcement": {"product_name": "BenchBarrier Pro", "price": "$299",
                             "features": "foldable, 200 kg load", "audience": "home gym owners",
                             "tone": "excited", "platform": "Instagram", "max_length": "280"},
    "email-subject-line": {"email_purpose": "spring sale", "audience": "past buyers",
                           "tone": "friendly", "goal": "opens"},
    "blog-outline": {"topic": "home gym safety", "keywords": "bench barrier, safety",
                     "word_count": "1500", "audience_level": "beginner"},
}  # fmt: skip


def test_the_seeds_prompt_templates_generate_with_the_seeds_variables(site, fake_openai):
    from ai_content.demo import load

    load(lambda line: None)
    for slug, variables in SEED_PROMPT_VARIABLES.items():
        body = {"promptId": slug, "variables": variables}  # the seed's promptId is a string
        response = site.post("/api/ai/generate/content", body, format="json")
        assert response.status_code == 201, (slug, response.json())
        answer = response.json()
        assert set(answer) >= {"content", "tokensUsed", "cost", "suggestions"}
        assert isinstance(answer["cost"], float) and answer["tokensUsed"] == 160
        sent = fake_openai.requests[-1]["body"]["messages"][-1]["content"]
        assert all(value in sent for value in variables.values()), slug
    listed = site.get("/api/ai/prompts").json()["results"]
    from ai_content.shipped import SHIPPED

    own = {shipped["name"] for shipped in SHIPPED}  # the back office's own prompts
    seeds = [p for p in listed if p["slug"] not in own]
    assert {p["slug"]: p["variables"] for p in seeds} == {
        slug: list(variables) for slug, variables in SEED_PROMPT_VARIABLES.items()
    }


def test_a_prompt_takes_a_human_title_and_the_seeds_categories(site):
    made = [site.post("/api/ai/prompts", {"name": "Spring sale teaser", "category": category,
                                          "template": "Tease {{offer}}."}, format="json")
            for category in ("marketing", "social", "email", "product")]  # fmt: skip
    assert [m.status_code for m in made] == [201] * 4, made[0].json()
    assert [m.json()["slug"] for m in made] == [
        "spring-sale-teaser", "spring-sale-teaser-2", "spring-sale-teaser-3",
        "spring-sale-teaser-4",
    ]  # fmt: skip


SEED_SEGMENTS = [
    {"name": "High-Value Customers", "rules": [
        {"field": "total_spent", "operator": "greater_than", "value": 500},
        {"field": "order_count", "operator": "greater_than", "value": 3, "combinator": "and"}]},
    {"name": "Inactive Users", "rules": [
        {"field": "last_login", "operator": "less_than", "value": "30_days_ago"},
        {"field": "total_orders", "operator": "equals", "value": 0, "combinator": "and"}]},
    {"name": "Product Enthusiasts", "rules": [
        {"field": "product_views", "operator": "greater_than", "value": 10},
        {"field": "email_engagement", "operator": "greater_than", "value": 0.5,
         "combinator": "and"}]},
]  # fmt: skip


def test_the_seeds_segments_are_accepted_and_match_whom_they_say(site):
    from datetime import timedelta

    from benchbarrier import clock
    from marketing.demo import SEED_SEGMENTS as SHIPPED

    long_ago = clock.now() - timedelta(days=45)
    Customer.objects.create(external_id="rich", total_spent=600, order_count=4)
    Customer.objects.create(external_id="almost", total_spent=600, order_count=3)
    Customer.objects.create(external_id="sleepy", last_login=long_ago, order_count=0)
    Customer.objects.create(external_id="sleepy-buyer", last_login=long_ago, order_count=2)
    Customer.objects.create(external_id="fan", product_views=11, email_engagement=0.6)
    Customer.objects.create(external_id="browser", product_views=11, email_engagement=0.5)
    expected = {"High-Value Customers": ["rich"], "Inactive Users": ["sleepy"],
                "Product Enthusiasts": ["fan"]}  # fmt: skip
    for segment in SEED_SEGMENTS:
        assert SHIPPED[segment["name"]][1] == segment["rules"], "the demo ships them as written"
        created = site.post("/api/marketing/segments", segment, format="json")
        assert created.status_code == 201, created.json()
        run_due_jobs()  # the refresh queued on save
        members = site.get(f"/api/marketing/segments/{created.json()['id']}/members").json()
        ids = sorted(m["customer"]["externalId"] for m in members["results"])
        assert ids == expected[segment["name"]], segment["name"]
