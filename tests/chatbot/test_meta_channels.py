"""Messenger, Instagram and WhatsApp: Meta's verification handshake, deliveries signed
with the app secret (checked over the raw body, refused without it), each message once
however often Meta delivers it, answered through the queue and sent back through a local
fake of the Graph API; WhatsApp's 24-hour rule in the agent inbox."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.urls import reverse

from benchbarrier import clock
from chatbot import services
from chatbot.models import BotConversation, BotMessage
from jobs.models import Job
from tests.chatbot.fakes import PAGE_TOKEN, WHATSAPP_TOKEN, FakeMessaging
from tests.conftest import run_due_jobs

pytestmark = pytest.mark.django_db
SECRET, PHONE = "app-secret-1", "4915112345678"


@pytest.fixture
def graph(settings):
    fake = FakeMessaging()
    settings.META_GRAPH_URL = fake.url
    settings.CHATBOT_META = {"APP_SECRET": SECRET, "VERIFY_TOKEN": "verify-me",
                             "PAGE_ID": "PAGE1", "PAGE_TOKEN": PAGE_TOKEN,
                             "WHATSAPP_PHONE_ID": "PHONE1", "WHATSAPP_TOKEN": WHATSAPP_TOKEN}  # fmt: skip
    yield fake
    fake.close()


def whatsapp(text: str, mid: str) -> dict:
    return {"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{
        "field": "messages", "value": {
            "messaging_product": "whatsapp", "metadata": {"phone_number_id": "PHONE1"},
            "contacts": [{"wa_id": PHONE, "profile": {"name": "Ada"}}],
            "messages": [{"from": PHONE, "id": mid, "timestamp": "1764072000", "type": "text",
                          "text": {"body": text}}]}}]}]}  # fmt: skip


def deliver(client, channel: str, payload: dict, secret: str = SECRET):
    body = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return client.post(f"/api/chat/meta/{channel}", data=body, content_type="application/json",
                       HTTP_X_HUB_SIGNATURE_256=signature)  # fmt: skip


def test_the_verification_handshake_echoes_the_challenge_for_our_token(client, graph):
    url = "/api/chat/meta/whatsapp"
    good = client.get(url, {"hub.mode": "subscribe", "hub.verify_token": "verify-me",
                            "hub.challenge": "1158201444"})  # fmt: skip
    assert good.status_code == 200 and good.content == b"1158201444"
    bad = client.get(url, {"hub.mode": "subscribe", "hub.verify_token": "guess",
                           "hub.challenge": "1"})  # fmt: skip
    assert bad.status_code == 403 and bad.json()["code"] == "invalid_signature"
    assert client.get("/api/chat/meta/telegram").status_code == 404


def test_a_delivery_needs_the_app_secrets_signature(client, graph, settings):
    forged = deliver(client, "whatsapp", whatsapp("hi", "wamid.1"), secret="guessed")
    assert forged.status_code == 401
    settings.CHATBOT_META = {**settings.CHATBOT_META, "APP_SECRET": ""}
    unchecked = deliver(client, "whatsapp", whatsapp("hi", "wamid.1"))
    assert unchecked.status_code == 403  # fails closed without a secret
    assert not Job.objects.filter(job_type="chatbot.inbound").exists()


@pytest.fixture
def order():
    from analytics.services import record_events

    record_events([
        {"eventName": "order.completed", "userId": "user_1", "messageId": "o1",
         "timestamp": "2026-11-20T10:00:00Z",
         "properties": {"orderId": "BB-10042", "email": "ada@example.com", "total": "59.90"}},
        {"eventName": "order.shipped", "userId": "user_1", "messageId": "o2",
         "timestamp": "2026-11-21T10:00:00Z", "properties": {
             "orderId": "BB-10042", "carrier": "DHL", "trackingNumber": "JD0142"}},
    ])  # fmt: skip


def test_where_is_my_order_on_whatsapp_end_to_end(client, graph, order):
    from marketing.models import Customer

    ada = Customer.objects.create(external_id="user_1", email="ada@example.com")
    for number, text in enumerate(["where is my order", "BB-10042", "it's ada@example.com"]):
        answered = deliver(client, "whatsapp", whatsapp(text, f"wamid.in{number}"))
        assert answered.status_code == 200 and answered.json() == {"received": 1}
        run_due_jobs()
    assert graph.texts() == [
        "I can help you track your order! Could you provide your order number?",
        "To keep your order private: what email address did you order with?",
        "Order BB-10042 is on its way with DHL: tracking number JD0142.",
    ]
    assert {str(m["to"]) for m in graph.sent} == {PHONE}
    conversation = BotConversation.objects.get()
    assert conversation.channel == "whatsapp" and conversation.contact == PHONE
    assert conversation.customer == ada  # linked by the email on the order
    assert conversation.messages.first().intent == "order_status"


def test_a_message_delivered_twice_is_answered_once(client, graph):
    for _ in range(2):
        assert deliver(client, "whatsapp", whatsapp("hello", "wamid.same")).status_code == 200
    run_due_jobs()
    payload = {"channel": "whatsapp", "contact": PHONE, "text": "hello",
               "messageId": "wamid.same"}  # fmt: skip
    assert services.receive_inbound(payload) == {"duplicate": True}  # the job run again
    assert BotMessage.objects.filter(sender_type="user").count() == 1
    assert BotMessage.objects.filter(sender_type="bot").count() == 1
    assert len(graph.sent) == 1
    message = BotMessage.objects.get(sender_type="bot")
    assert services.send_on_channel(str(message.pk)) == {"alreadySent": "wamid.out1"}


def test_messenger_answers_the_page_scoped_id(client, graph):
    delivery = {"object": "page", "entry": [{"id": "PAGE1", "time": 1, "messaging": [
        {"sender": {"id": "PSID7"}, "recipient": {"id": "PAGE1"}, "timestamp": 1,
         "message": {"mid": "m_1", "text": "hi there"}},
        {"sender": {"id": "PAGE1"}, "recipient": {"id": "PSID7"}, "timestamp": 2,
         "message": {"mid": "m_2", "text": "echo", "is_echo": True}},
    ]}]}  # fmt: skip
    assert deliver(client, "messenger", delivery).json() == {"received": 1}
    run_due_jobs()
    (sent,) = graph.sent
    assert sent["node"] == "PAGE1" and sent["recipient"] == {"id": "PSID7"}
    assert sent["message"]["text"] in (
        "Hi there! 👋 How can I help you today?", "Hello! I'm here to help. What can I do for you?",
        "Hey! What brings you here today?")  # fmt: skip


def test_whatsapps_24_hour_rule_in_the_agent_inbox(client, graph, staff_client):
    deliver(client, "whatsapp", whatsapp("talk to a person", "wamid.p1"))
    run_due_jobs()
    conversation = BotConversation.objects.get()
    url = reverse("admin:chatbot_inboxconversation_change", args=[conversation.pk])
    clock.advance(timedelta(hours=25))
    refused = staff_client.post(url, {"reply": "Sorry for the wait!", "_send": "1"})
    assert refused.status_code == 200
    assert "a free-form reply only within 24 hours" in refused.content.decode()
    assert not BotMessage.objects.filter(sender_type="agent").exists()
    sent = staff_client.post(url, {"template": "support_follow_up", "_send": "1"})
    assert sent.status_code == 302
    run_due_jobs()
    template = graph.sent[-1]
    assert template["type"] == "template" and template["template"]["name"] == "support_follow_up"


@pytest.mark.parametrize("job_type", ["chatbot.inbound", "chatbot.send"])
def test_receiving_or_sending_run_twice_answers_once(client, graph, job_type):
    from tests.at_least_once import run_twice

    assert deliver(client, "whatsapp", whatsapp("hello", "wamid.once")).status_code == 200

    run_twice(job_type)
    run_due_jobs()

    assert BotMessage.objects.filter(sender_type="user").count() == 1
    assert BotMessage.objects.filter(sender_type="bot").count() == 1
    assert len(graph.sent) == 1
