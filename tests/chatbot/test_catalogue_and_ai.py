"""The bot with the catalogue (a product named is described, otherwise a few are listed and
the customer's choice read) and, when an AI provider is set, questions no intent covers
answered from the shop's FAQ and catalogue only (costs in the ledger), never with an
order the customer did not name."""

from __future__ import annotations

import pytest

from benchbarrier.models import SpendEntry
from chatbot.conversations import REPHRASE
from marketing.models import Product

pytestmark = pytest.mark.django_db


@pytest.fixture
def say(key_client):
    api = key_client("chat")
    body = api.post("/api/chat/conversations", {}, format="json").json()

    def send(text: str) -> str:
        answer = api.post(f"/api/chat/conversations/{body['id']}/messages", {"content": text},
                          format="json", HTTP_X_CONVERSATION_TOKEN=body["token"])  # fmt: skip
        assert answer.status_code == 201, answer.json()
        (reply,) = answer.json()["replies"]
        return reply["content"]

    return send


@pytest.fixture
def catalogue():
    Product.objects.create(sku="TR-2", name="Trail Runner 2", price="89.00", currency="EUR",
                           description="A light trail shoe with a grippy sole.",
                           url="https://shop.example/p/tr-2")  # fmt: skip
    Product.objects.create(sku="RC", name="Running cap", price="19.00", currency="EUR")


def test_a_product_named_is_described_from_the_catalogue(say, catalogue):
    assert say("tell me about the trail runner 2") == (
        "Trail Runner 2: A light trail shoe with a grippy sole. It costs 89.00 EUR. It is in "
        "stock. More: https://shop.example/p/tr-2")  # fmt: skip


def test_without_a_name_the_bot_lists_products_and_reads_the_choice(say, catalogue):
    listed = say("product information")
    assert listed == ("We have Running cap, Trail Runner 2. Which one would you like to "
                      "know about?")  # fmt: skip
    assert say("the running cap").startswith("Running cap. It costs 19.00 EUR.")


def test_an_out_of_scope_question_is_answered_by_the_ai_from_the_shops_facts(say, catalogue,
                                                                           fake_openai):  # fmt: skip
    fake_openai.replies = ["The Trail Runner 2 costs 89.00 EUR and is in stock."]
    assert say("qwertz uiop asdfgh") == "The Trail Runner 2 costs 89.00 EUR and is in stock."
    (request,) = fake_openai.requests
    prompt = request["body"]["messages"][-1]["content"]
    assert "Product Trail Runner 2, 89.00 EUR" in prompt and "within 30 days" in prompt
    assert SpendEntry.objects.filter(service="openai").count() == 1  # in the ledger


def test_the_ai_saying_it_cannot_or_naming_an_order_is_not_passed_on(say, fake_openai):
    fake_openai.replies = ["NO_ANSWER"]
    assert say("qwertz uiop asdfgh") == REPHRASE
    fake_openai.replies = ["Your order BB-55555 shipped yesterday."]
    assert say("zxcvb nmlkj poiuy") != "Your order BB-55555 shipped yesterday."


def test_without_a_provider_the_bot_asks_to_rephrase(say, settings):
    settings.OPENAI_API_KEY = ""
    assert say("qwertz uiop asdfgh") == REPHRASE
