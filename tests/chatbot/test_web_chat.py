"""Conversations on the web: started with the site's key (the visitor's token returned
once), each message answered at once with its intent and confidence and the bot's reply,
the fallback asking to rephrase, a person on request or after two fallbacks, and the bot
silent while a person holds the conversation."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchbarrier import clock
from chatbot.conversations import HANDING_OVER, REPHRASE
from chatbot.models import BotConversation

pytestmark = pytest.mark.django_db


SECRET = "the-sites-secret"


def signed(user_id: str) -> dict:
    from chatbot.identity import signature

    expires = int(clock.now().timestamp()) + 3600
    return {"userId": user_id, "userExpires": expires,
            "userSignature": signature(user_id, expires, SECRET)}  # fmt: skip


@pytest.fixture
def chat(key_client, settings):
    settings.CHATBOT_USER_SECRET = SECRET
    api = key_client("chat")
    started = api.post("/api/chat/conversations", signed("user_123"), format="json")
    assert started.status_code == 201, started.json()
    body = started.json()

    def say(text: str, token: str | None = None) -> tuple[int, dict]:
        answer = api.post(f"/api/chat/conversations/{body['id']}/messages", {"content": text},
                          format="json",
                          HTTP_X_CONVERSATION_TOKEN=token or body["token"])  # fmt: skip
        return answer.status_code, answer.json()

    say.api, say.body = api, body
    return say


def test_a_question_is_answered_with_its_intent_and_the_reply(chat):
    code, answer = chat("where is my order?")
    assert code == 201
    assert answer["message"]["intent"] == "order_status"
    assert 0 < float(answer["message"]["confidence"]) <= 1
    assert answer["replies"][0]["content"] == (
        "I can help you track your order! Could you provide your order number?")  # fmt: skip
    transcript = chat.api.get(f"/api/chat/conversations/{chat.body['id']}",
                              HTTP_X_CONVERSATION_TOKEN=chat.body["token"]).json()  # fmt: skip
    assert [m["senderType"] for m in transcript["messages"]] == ["user", "bot"]
    assert transcript["userId"] == "user_123" and transcript["status"] == "active"


def test_the_token_is_the_visitors_key_and_the_content_is_checked(chat):
    code, _ = chat("hi", token="someone-elses")
    assert code == 404
    code, answer = chat("   ")
    assert code == 400 and answer["errors"][0]["field"] == "content"
    assert "tokenHash" in BotConversation.objects.get().metadata  # kept only as a hash
    assert chat.body["token"] not in str(BotConversation.objects.get().metadata)


def test_two_fallbacks_in_a_row_bring_a_person_and_the_bot_goes_quiet(chat):
    _, first = chat("zxqv blorp kwijibo")
    assert first["message"]["intent"] == "fallback" and first["replies"][0]["content"] == REPHRASE
    _, second = chat("qqq zzz ppp")
    assert second["replies"][0]["content"] == HANDING_OVER
    assert BotConversation.objects.get().status == "escalated"
    _, third = chat("hello?")
    assert third["replies"] == []  # a person holds the conversation now


def test_asking_for_a_person_hands_over_at_once(chat):
    _, answer = chat("can I talk to a real person")
    assert answer["message"]["intent"] == "talk_to_person"
    assert answer["replies"][0]["content"] == HANDING_OVER
    assert BotConversation.objects.get().metadata["escalated"]["why"] == "asked for a person"


def test_the_chat_scope_is_required(key_client):
    answer = key_client("marketing").post("/api/chat/conversations", {}, format="json")
    assert answer.status_code == 403


@pytest.fixture
def orders():
    from analytics.services import record_events
    from marketing.models import Customer

    Customer.objects.create(external_id="user_123", email="ada@example.com")
    record_events([
        {"eventName": "order.completed", "userId": "user_123", "messageId": "o1",
         "timestamp": "2026-11-20T10:00:00Z", "properties": {"orderId": "BB-10042",
                                                             "total": "59.90"}},
        {"eventName": "order.shipped", "userId": "user_123", "messageId": "o2",
         "timestamp": "2026-11-21T10:00:00Z", "properties": {
             "orderId": "BB-10042", "carrier": "DHL", "trackingNumber": "JD0142"}},
        {"eventName": "order.completed", "userId": "user_9", "messageId": "o3",
         "timestamp": "2026-11-22T10:00:00Z", "properties": {
             "orderId": "BB-10077", "total": "20", "email": "bob@example.com"}},
    ])  # fmt: skip


def test_where_is_my_order_asks_the_number_and_answers_with_tracking(chat, orders):
    _, asked = chat("where is my order")
    assert "order number" in asked["replies"][0]["content"]
    _, wrong = chat("it's the blue one")
    assert wrong["replies"][0]["content"].startswith("That doesn't look like an order number")
    _, found = chat("bb-10042")  # the signed-in customer's own order
    assert found["replies"][0]["content"] == (
        "Order BB-10042 is on its way with DHL: tracking number JD0142.")  # fmt: skip


def test_someone_elses_order_needs_the_email_on_it(chat, orders):
    chat("track my order")
    _, asked = chat("BB-10077")
    assert "what email address did you order with" in asked["replies"][0]["content"]
    _, refused = chat("me@example.com")
    assert refused["replies"][0]["content"].startswith("That email doesn't match this order")
    chat("where is my order")
    chat("BB-10077")
    _, told = chat("it's bob@example.com")
    assert told["replies"][0]["content"] == (
        "Order BB-10077 (placed on 22 November) is being prepared; we'll email you when it "
        "ships.")  # fmt: skip
    _, unknown = chat("BB-99999")
    assert unknown["replies"][0]["content"] != told["replies"][0]["content"]


def test_the_bots_figures_are_metrics_in_the_query_api(chat, key_client):
    from datetime import timedelta

    from benchbarrier import clock

    chat("where is my order")
    chat("thanks, bye")  # resolved by the bot
    other = chat.api.post("/api/chat/conversations", {}, format="json").json()
    for text in ("zxqv blorp", "qqq zzz"):  # two fallbacks: handed to a person
        chat.api.post(f"/api/chat/conversations/{other['id']}/messages", {"content": text},
                      format="json", HTTP_X_CONVERSATION_TOKEN=other["token"])  # fmt: skip
    today = clock.now().date()
    answer = key_client("analytics").get("/api/analytics/query", {
        "metrics": "bot_resolution_rate,bot_containment_rate,bot_handoffs,bot_fallback_rate,"
                   "bot_first_response_seconds",
        "start": (today - timedelta(days=1)).isoformat(), "end": today.isoformat(),
    })  # fmt: skip
    assert answer.status_code == 200, answer.json()
    (row,) = answer.json()["rows"]
    assert row["bot_resolution_rate"] == "0.5000" and row["bot_containment_rate"] == "0.5000"
    assert row["bot_handoffs"] == 1
    assert row["bot_fallback_rate"] == "0.5000"  # 2 of the 4 customer messages
    assert float(row["bot_first_response_seconds"]) >= 0


def test_the_dashboard_shows_the_bot(chat, staff_client):
    from django.urls import reverse

    chat("thanks!")
    page = staff_client.get(reverse("admin:index")).content.decode()
    assert 'aria-label="Support bot' in page and "resolved by the bot" in page


def test_an_unsigned_or_forged_user_id_is_not_the_customer(key_client, settings, orders):
    settings.CHATBOT_USER_SECRET = SECRET
    api = key_client("chat")
    forged = {**signed("user_123"), "userSignature": "0" * 64}
    answer = api.post("/api/chat/conversations", forged, format="json")
    assert answer.status_code == 400 and answer.json()["errors"][0]["field"] == "userSignature"
    expired = {**signed("user_123"), "userExpires": 1}
    answer = api.post("/api/chat/conversations", expired, format="json")
    assert answer.status_code == 400 and answer.json()["errors"][0]["field"] == "userExpires"
    claimed = api.post("/api/chat/conversations", {"userId": "user_123"}, format="json").json()
    for text in ("where is my order", "BB-10042"):
        reply = api.post(f"/api/chat/conversations/{claimed['id']}/messages", {"content": text},
                         format="json", HTTP_X_CONVERSATION_TOKEN=claimed["token"]).json()  # fmt: skip
    assert "what email address did you order with" in reply["replies"][0]["content"]


def test_the_widget_is_a_static_file_and_its_sites_may_call_the_chat_api(client, settings):
    from django.contrib.staticfiles import finders

    widget = finders.find("chatbot/widget.js")
    assert widget and "innerHTML" not in Path(widget).read_text()  # text, never HTML
    settings.CORS_ALLOWED_ORIGINS = ["https://shop.example"]
    preflight = client.options("/api/chat/conversations", HTTP_ORIGIN="https://shop.example",
                               HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
                               HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization,x-conversation-token")  # fmt: skip
    assert preflight["Access-Control-Allow-Origin"] == "https://shop.example"
    assert "x-conversation-token" in preflight["Access-Control-Allow-Headers"]
    other = client.options("/api/marketing/customers", HTTP_ORIGIN="https://shop.example",
                           HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")  # fmt: skip
    assert "Access-Control-Allow-Origin" not in other  # only the chat API
    stranger = client.options("/api/chat/conversations", HTTP_ORIGIN="https://evil.example",
                              HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")  # fmt: skip
    assert "Access-Control-Allow-Origin" not in stranger
