"""A person takes over: agents told at once (email and the team's webhook), the bot
silent while the conversation waits for or is held by a person, replies from the agent
inbox, the customer told when to expect a reply when nobody comes, resolve → the bot's
again, and an action that fails handing over."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse

from benchbarrier import clock
from benchbarrier.bot_actions import Action, ActionFailed, register_action, unregister_action
from chatbot import handoff, services
from chatbot.conversations import HANDING_OVER
from chatbot.models import BotConversation, BotMessage
from tests.chatbot.fakes import FakeMessaging
from tests.conftest import run_due_jobs

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(settings, email_at_noon):
    fake = FakeMessaging()
    settings.CHATBOT_AGENT_EMAILS = ["agents@shop.example"]
    settings.CHATBOT_AGENT_WEBHOOK_URL = f"{fake.url}/hooks/team"
    settings.CHATBOT_AGENT_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    yield fake
    fake.close()


@pytest.fixture
def visitor(key_client):
    api = key_client("chat")
    body = api.post("/api/chat/conversations", {"userId": "user_5"}, format="json").json()

    def say(text: str) -> list[str]:
        answer = api.post(f"/api/chat/conversations/{body['id']}/messages", {"content": text},
                          format="json", HTTP_X_CONVERSATION_TOKEN=body["token"])  # fmt: skip
        assert answer.status_code == 201, answer.json()
        return [r["content"] for r in answer.json()["replies"]]

    def transcript() -> list[tuple[str, str]]:
        got = api.get(f"/api/chat/conversations/{body['id']}",
                      HTTP_X_CONVERSATION_TOKEN=body["token"]).json()  # fmt: skip
        return [(m["senderType"], m["content"]) for m in got["messages"]]

    say.transcript, say.id = transcript, body["id"]
    return say


def inbox_url(pk: str) -> str:
    return reverse("admin:chatbot_inboxconversation_change", args=[pk])


def test_agents_are_told_at_once_by_email_and_on_the_team_webhook(visitor, team):
    assert visitor("I want to talk to a real person") == [HANDING_OVER]
    run_due_jobs()
    (email,) = [m for m in mail.outbox if m.to == ["agents@shop.example"]]
    assert "A customer is waiting on Web" in email.subject
    assert "I want to talk to a real person" in email.body
    assert inbox_url(visitor.id) in email.body
    (post,) = team.posts
    assert "asked for a person" in post["text"] and inbox_url(visitor.id) in post["text"]
    run_due_jobs()  # nothing more: once per escalation
    conversation = BotConversation.objects.get()
    again = services.notify_agents(str(conversation.pk), conversation.escalated_at.isoformat())
    assert again["webhook"] is False and len(team.posts) == 1  # the job run a second time
    run_due_jobs()
    assert len([m for m in mail.outbox if m.to == ["agents@shop.example"]]) == 1


def test_the_bot_is_silent_while_a_person_holds_the_conversation(visitor, team, staff_client):
    visitor("talk to a person please")
    assert visitor("hello? anyone?") == []  # waiting for a person: the bot says nothing
    page = staff_client.get(inbox_url(visitor.id)).content.decode()
    assert "hello? anyone?" in page and "talk_to_person" in page  # transcript with intents
    sent = staff_client.post(inbox_url(visitor.id), {"reply": "Hi, Sam here. How can I help?",
                                                     "_send": "1"})  # fmt: skip
    assert sent.status_code == 302
    conversation = BotConversation.objects.get()
    assert conversation.stage == "agent" and conversation.assigned_to is not None
    assert visitor("where is my order") == []  # the agent answers, not the bot
    assert visitor.transcript()[-2] == ("agent", "Hi, Sam here. How can I help?")
    staff_client.post(inbox_url(visitor.id), {"_resolve": "1"})
    assert BotConversation.objects.get().status == "resolved"
    assert visitor("where is my order")[0].startswith("I can help you track your order")


def test_canned_replies_come_from_the_intents_responses(visitor, team, staff_client):
    visitor("talk to a person")
    page = staff_client.get(inbox_url(visitor.id)).content.decode()
    assert "You can return anything within 30 days" in page
    staff_client.post(inbox_url(visitor.id), {
        "canned": "Goodbye, and have a lovely day!", "reply": "", "_send": "1"})  # fmt: skip
    assert visitor.transcript()[-1] == ("agent", "Goodbye, and have a lovely day!")


def test_the_inbox_lists_the_longest_waiting_first_and_says_what_to_fix(visitor, team,
                                                                      staff_client):  # fmt: skip
    visitor("talk to a person")
    listing = staff_client.get(reverse("admin:chatbot_inboxconversation_changelist"))
    assert listing.status_code == 200 and "Waiting for a person" in listing.content.decode()
    empty = staff_client.post(inbox_url(visitor.id), {"reply": "  ", "_send": "1"})
    assert empty.status_code == 200
    assert "Write a reply" in empty.content.decode()


def test_nobody_in_time_tells_the_customer_when_to_expect_a_reply(visitor, team, settings):
    settings.CHATBOT_AGENT_WAIT_MINUTES = 10
    visitor("talk to a person")
    run_due_jobs()
    clock.advance(timedelta(minutes=11))
    run_due_jobs()
    notices = [m for m in BotMessage.objects.all() if m.metadata.get("waitNotice")]
    assert len(notices) == 1 and "A person will answer here within a few hours" in (
        notices[0].content)  # fmt: skip
    conversation = BotConversation.objects.get()
    escalated_at = conversation.escalated_at.isoformat()
    assert handoff.tell_when_to_expect(conversation, escalated_at) is None  # a re-run: once


def test_no_wait_notice_once_a_person_took_it(visitor, team, staff_client):
    visitor("talk to a person")
    staff_client.post(inbox_url(visitor.id), {"_assign": "1"})
    clock.advance(timedelta(minutes=30))
    run_due_jobs()
    assert not [m for m in BotMessage.objects.all() if m.metadata.get("waitNotice")]


def test_an_action_that_fails_hands_over(visitor, team):
    def broken(turn):
        raise ActionFailed("the order system is down")

    register_action(Action("tests.broken", "fails", run=broken, resume=broken,
                           expects=lambda turn: True))  # fmt: skip
    conversation = BotConversation.objects.get()
    conversation.metadata["awaiting"] = "tests.broken"
    conversation.save()
    try:
        assert visitor("BB-10042") == [HANDING_OVER]
    finally:
        unregister_action("tests.broken")
    why = BotConversation.objects.get().metadata["escalated"]["why"]
    assert why == "tests.broken failed: the order system is down"


def test_the_agents_notice_and_the_wait_notice_run_twice_go_once(visitor, team, settings):
    from tests.at_least_once import run_twice

    settings.CHATBOT_AGENT_WAIT_MINUTES = 10
    visitor("talk to a person")

    run_twice("chatbot.notify_agents")
    clock.advance(timedelta(minutes=11))
    run_twice("chatbot.wait_notice")

    assert len([m for m in mail.outbox if m.to == ["agents@shop.example"]]) == 1
    assert len(team.posts) == 1
    assert len([m for m in BotMessage.objects.all() if m.metadata.get("waitNotice")]) == 1
