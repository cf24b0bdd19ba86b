"""The AI API through the real openai client against a local fake server."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest

from ai_content.models import AIGeneration, AIPrompt
from ai_content.provider import NOT_CONFIGURED
from benchbarrier.models import AuditLogEntry, Budget, SpendEntry
from benchbarrier.services.audit import Actor
from tests.api_errors import error_fields

pytestmark = pytest.mark.django_db
GENERATE = "/api/ai/generate/content"


@pytest.fixture
def client(key_client):
    return key_client("ai")


@pytest.fixture
def announcement():
    from ai_content.services import save_prompt

    return save_prompt(
        prompt=AIPrompt(
            name="product-announcement", category="product", model="gpt-4o-mini",
            template="Announce {{product_name}} ({{features}}) to {{audience}}.",
        ),
        actor=Actor.system("tests"),
    )  # fmt: skip


VARIABLES = {"product_name": "Trail Runner 2", "features": ["light", "grippy"],
             "audience": "trail runners"}  # fmt: skip


def test_not_configured_answers_503_and_invents_nothing(client, settings, announcement):
    settings.OPENAI_API_KEY = settings.OPENAI_BASE_URL = ""
    response = client.post(GENERATE, {"promptId": announcement.pk, "variables": VARIABLES},
                           format="json")  # fmt: skip
    assert response.status_code == 503
    assert response.json()["message"] == NOT_CONFIGURED
    assert response.json()["code"] == "ai_not_configured"
    assert not AIGeneration.objects.exists() and not SpendEntry.objects.exists()


def test_generate_from_a_template_prices_the_usage_and_records_everything(
    client, fake_openai, announcement
):
    response = client.post(GENERATE, {"promptId": announcement.pk, "variables": VARIABLES},
                           format="json")  # fmt: skip
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["content"] == fake_openai.replies[0]
    assert body["tokensUsed"] == 160
    # gpt-4o-mini: 120 input x 0.15 + 40 output x 0.60 per 1M tokens
    assert isinstance(body["cost"], float), "the seed's cost: number"
    assert Decimal(str(body["cost"])) == Decimal("0.000042")
    assert isinstance(body["suggestions"], list) and 0 <= body["qualityScore"] <= 1
    assert body["promptVersion"] == 1 and body["cacheHit"] is False
    sent = fake_openai.requests[0]
    assert sent["path"] == "/v1/chat/completions" and sent["auth"] == "Bearer sk-test"
    assert sent["body"]["messages"][-1]["content"] == (
        "Announce Trail Runner 2 (light, grippy) to trail runners."
    )
    assert sent["body"]["model"] == "gpt-4o-mini" and sent["body"]["n"] == 1
    generation = AIGeneration.objects.get(pk=body["generationId"])
    assert (generation.input_tokens, generation.output_tokens) == (120, 40)
    assert generation.variables == VARIABLES
    entry = SpendEntry.objects.get(service="openai")
    assert entry.cost == Decimal("0.000042") and entry.model == "gpt-4o-mini"
    assert entry.reference == f"generation {generation.pk}"
    assert entry.details["inputTokens"] == 120 and entry.details["outputTokens"] == 40


def test_cached_input_tokens_cost_the_cached_rate(client, fake_openai):
    fake_openai.usage = {"prompt_tokens": 1000, "completion_tokens": 0, "cached_tokens": 800}
    response = client.post(GENERATE, {"customPrompt": "Say hi", "model": "gpt-4o"},
                           format="json")  # fmt: skip
    # 200 fresh x 2.50 + 800 cached x 1.25 per 1M
    assert Decimal(str(response.json()["cost"])) == Decimal("0.0015")


def test_the_seeds_models_are_priced_from_the_maintained_table(client, fake_openai):
    for model, expected in (("gpt-4", "0.006"), ("gpt-3.5-turbo", "0.00012")):
        response = client.post(GENERATE, {"customPrompt": "Say hi", "model": model},
                               format="json")  # fmt: skip
        assert response.status_code == 201, response.json()
        # 120 in, 40 out: gpt-4 at 30/60 per 1M, gpt-3.5-turbo at 0.50/1.50
        assert Decimal(str(response.json()["cost"])) == Decimal(expected)


def test_a_model_with_no_price_is_refused_while_a_budget_counts(client, fake_openai, caplog):
    refused = client.post(GENERATE, {"customPrompt": "Say hi", "model": "llama3.1:8b"},
                          format="json")  # fmt: skip
    assert refused.status_code == 400
    assert error_fields(refused) == {"model": "invalid"}
    assert "add its price in the admin (Platform > Model prices" in refused.json()["message"]
    assert fake_openai.requests == [] and not SpendEntry.objects.exists()
    Budget.objects.filter(service__in=["openai", ""]).delete()
    with caplog.at_level(logging.WARNING):
        response = client.post(GENERATE, {"customPrompt": "Say hi", "model": "llama3.1:8b"},
                               format="json")  # fmt: skip
    assert response.status_code == 201
    assert response.json()["cost"] is None, "unknown, never 0"
    assert SpendEntry.objects.get().cost is None
    assert "no price for openai chat.completion llama3.1:8b" in caplog.text


def test_editing_a_template_makes_a_version_and_generations_record_theirs(
    client, fake_openai, announcement
):
    url = f"/api/ai/prompts/{announcement.pk}"
    renamed = client.patch(url, {"description": "launch copy"}, format="json")
    assert renamed.json()["version"] == 1, "a description is not what generates"
    edited = client.patch(
        url, {"template": "Announce {{product_name}} to {{audience}}, briefly."}, format="json"
    )
    assert edited.status_code == 200, edited.json()
    assert edited.json()["version"] == 2 and edited.json()["variables"] == [
        "product_name", "audience",
    ]  # fmt: skip
    versions = client.get(url).json()["versions"]
    assert [v["version"] for v in versions] == [2, 1]
    response = client.post(
        GENERATE,
        {"promptId": announcement.pk, "variables": {"product_name": "X", "audience": "all"}},
        format="json",
    )
    assert response.json()["promptVersion"] == 2
    assert AuditLogEntry.objects.filter(action="ai.prompt.updated").count() == 2


@pytest.mark.parametrize(
    ("variables", "field", "why"),
    [
        ({"features": "x", "audience": "y"}, "variables.product_name", "required"),
        ({**VARIABLES, "tone": "fun"}, "variables.tone", "unknown variable"),
    ],
)
def test_a_missing_or_unknown_variable_is_a_400_naming_it(
    client, fake_openai, announcement, variables, field, why
):
    response = client.post(GENERATE, {"promptId": announcement.pk, "variables": variables},
                           format="json")  # fmt: skip
    assert response.status_code == 400
    assert field in error_fields(response)
    assert why in response.json()["message"]
    assert fake_openai.requests == [] and not AIGeneration.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "promptId"),
        ({"customPrompt": "a", "promptId": 1}, "promptId"),
        ({"customPrompt": "a", "temperature": 2.5}, "temperature"),
        ({"customPrompt": "a", "maxTokens": 0}, "maxTokens"),
        ({"customPrompt": "a", "model": ""}, "model"),
        ({"customPrompt": "a", "category": "poetry"}, "category"),
        ({"customPrompt": "a", "prompt": 3}, "prompt"),
        ({"promptId": 999}, "promptId"),
    ],
)
def test_bad_requests_are_400s_naming_the_field(client, fake_openai, announcement, body, field):
    response = client.post(GENERATE, body, format="json")
    assert response.status_code == 400, response.json()
    assert field in error_fields(response)
    assert fake_openai.requests == []


def test_identical_requests_at_temperature_0_are_answered_from_cache(client, fake_openai):
    request = {"customPrompt": "Write a subject line", "temperature": 0}
    first = client.post(GENERATE, request, format="json").json()
    second = client.post(GENERATE, request, format="json").json()
    assert len(fake_openai.requests) == 1
    assert second["cacheHit"] is True and second["cost"] == 0
    assert second["content"] == first["content"] and second["tokensUsed"] == 0
    assert SpendEntry.objects.count() == 1, "a cache hit is not a provider call"
    client.post(GENERATE, {**request, "temperature": 0.7}, format="json")
    client.post(GENERATE, {**request, "temperature": 0.7, "cache": True}, format="json")
    client.post(GENERATE, {**request, "temperature": 0.7, "cache": True}, format="json")
    assert len(fake_openai.requests) == 3, "no cache at 0.7 unless asked"


@pytest.mark.parametrize(
    ("mode", "status", "code"),
    [
        ("429", 503, "ai_provider_unavailable"),
        ("500", 503, "ai_provider_unavailable"),
        ("400", 400, "ai_request_rejected"),
        ("hang", 504, "ai_provider_timeout"),
    ],
)
def test_provider_errors_are_mapped(client, fake_openai, mode, status, code):
    fake_openai.mode = mode
    response = client.post(GENERATE, {"customPrompt": "hi"}, format="json")
    assert response.status_code == status
    assert response.json()["code"] == code
    if mode == "429":
        assert response["Retry-After"] == "7"
    if mode == "400":
        assert "Invalid model: nope" in response.json()["message"]
    if mode == "hang":
        assert "did not answer within 1 s" in response.json()["message"]
    assert not AIGeneration.objects.exists() and not SpendEntry.objects.exists()


def test_variations_come_from_one_call_each_scored(client, fake_openai):
    fake_openai.replies = ["Run further. Shop the Trail Runner 2.", "Lighter miles ahead.",
                           "FREE MONEY!!! Act now"]  # fmt: skip
    response = client.post(
        "/api/ai/generate/variations",
        {"customPrompt": "Three taglines", "count": 3, "category": "ad"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert [v["content"] for v in body["variations"]] == fake_openai.replies
    assert len(fake_openai.requests) == 1 and fake_openai.requests[0]["body"]["n"] == 3
    scores = [v["qualityScore"] for v in body["variations"]]
    assert scores[0] > scores[2], "spam words and shouting score lower"
    assert body["tokensUsed"] == 120 + 3 * 40
    assert SpendEntry.objects.count() == 1
    bad = client.post("/api/ai/generate/variations", {"customPrompt": "x", "count": 11},
                      format="json")  # fmt: skip
    assert bad.status_code == 400 and "count" in error_fields(bad)


def test_optimize_reports_scores_before_and_after(client, fake_openai):
    fake_openai.replies = ["Trail Runner 2: light, grippy, fast. Shop now #trailrunning"]
    long_post = "Our new shoe is here. " * 20
    response = client.post(
        "/api/ai/optimize",
        {"content": long_post, "goal": "fit 280 characters", "category": "social"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["content"] == fake_openai.replies[0]
    assert body["after"]["score"] > body["before"]["score"]
    assert any("280" in s for s in body["before"]["suggestions"])
    assert "Goal: fit 280 characters" in fake_openai.requests[0]["body"]["messages"][-1]["content"]


def test_feedback_marks_a_generation(client, fake_openai):
    generation_id = client.post(GENERATE, {"customPrompt": "hi"}, format="json").json()[
        "generationId"
    ]
    url = f"/api/ai/generations/{generation_id}/feedback"
    response = client.post(url, {"wasUsed": True, "rating": 4}, format="json")
    assert response.status_code == 200
    assert response.json()["wasUsed"] is True and response.json()["rating"] == 4
    assert client.post(url, {}, format="json").status_code == 400
    assert "rating" in error_fields(client.post(url, {"rating": 6}, format="json"))
    assert AuditLogEntry.objects.filter(action="ai.feedback").exists()


def test_prompts_are_listed_and_created_with_their_variables(client):
    created = client.post(
        "/api/ai/prompts",
        {"name": "email-subject-line", "category": "email", "maxLength": 60,
         "template": "A subject line for {{campaign}} in a {{tone}} tone."},
        format="json",
    )  # fmt: skip
    assert created.status_code == 201, created.json()
    assert created.json()["variables"] == ["campaign", "tone"]
    wrong = client.post(
        "/api/ai/prompts",
        {"name": "x", "template": "Hi {{name}}", "variables": ["name", "city"]},
        format="json",
    )
    assert wrong.status_code == 400 and "not in the template: city" in wrong.json()["message"]
    listed = client.get("/api/ai/prompts").json()
    assert [p["name"] for p in listed["results"]] == [
        "bot-answer", "email-subject-line", "report-summary"]  # fmt: skip


def test_the_ai_scope_is_required(key_client):
    response = key_client("marketing").post(GENERATE, {"customPrompt": "hi"}, format="json")
    assert response.status_code == 403


def test_the_seed_templates_ship_in_the_demo_data(client, fake_openai):
    from ai_content.demo import load

    load(lambda line: None)
    load(lambda line: None)  # idempotent
    names = [p["name"] for p in client.get("/api/ai/prompts").json()["results"]]
    # the seed's three, beside the ones the back office ships (its bot, its reports)
    assert names == ["blog-outline", "bot-answer", "email-subject-line",
                     "product-announcement", "report-summary"]  # fmt: skip
    subject = AIPrompt.objects.get(slug="email-subject-line")
    assert subject.variables == ["email_purpose", "audience", "tone", "goal"]
    assert subject.template.startswith("\nGenerate 5 compelling email subject lines for: ")
    response = client.post(
        GENERATE,
        {"promptId": "email-subject-line",  # the seed's promptId is a string
         "variables": {"email_purpose": "autumn sale", "audience": "trail runners",
                       "tone": "playful", "goal": "opens"}},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.json()
    sent = fake_openai.requests[0]["body"]["messages"][-1]["content"]
    assert "Generate 5 compelling email subject lines for: autumn sale" in sent


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/api/ai/optimize", {"content": "x"}, "goal"),
        ("/api/ai/optimize", {"goal": "shorter"}, "content"),
        ("/api/ai/optimize", {"content": "x", "goal": "y", "category": "poem"}, "category"),
        ("/api/ai/prompts", {"name": "", "template": "x"}, "name"),
        ("/api/ai/prompts", {"name": "ok", "template": "x", "category": "poetry"}, "category"),
        ("/api/ai/prompts", {"name": "ok", "template": "x", "temperature": 3}, "temperature"),
        ("/api/ai/prompts", {"name": "ok", "template": "x", "maxTokens": 0}, "maxTokens"),
        ("/api/ai/prompts", {"name": "ok", "template": "{{a}}", "variables": ["a-b"]},
         "variables[0]"),
    ],
)  # fmt: skip
def test_other_bad_requests_name_the_field(client, fake_openai, url, body, field):
    response = client.post(url, body, format="json")
    assert response.status_code == 400, response.json()
    assert field in error_fields(response)
    assert fake_openai.requests == []
