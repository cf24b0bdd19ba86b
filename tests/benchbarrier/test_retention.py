"""Retention: the daily `privacy.prune` job deletes raw events and anonymises email and SMS
tracking and chat transcripts older than their settings' days, keeps what is younger and
what a setting of 0 keeps for ever, and finds nothing more to do when run again."""

from __future__ import annotations

from datetime import timedelta

import pytest

from analytics.models import Event, OrderTotal
from analytics.services import record_events
from benchbarrier import clock
from benchbarrier.models import AuditLogEntry
from chatbot.models import BotConversation, BotMessage
from jobs import tasks
from jobs.models import Job
from marketing.email.services import queue_email
from marketing.models import Customer, EmailDelivery, SmsMessage
from tests.conftest import run_due_jobs

pytestmark = pytest.mark.django_db


def now_event(name: str, user: str, **properties) -> dict:
    return {"eventName": name, "userId": user, "messageId": f"{name}-{clock.now():%j%H%M%S}",
            "timestamp": clock.now().isoformat(), "properties": properties}  # fmt: skip


def a_day_of_everything(tag: str) -> None:
    ada = Customer.objects.create(external_id=f"ada-{tag}", email=f"ada-{tag}@example.com")
    record_events([now_event("order.completed", ada.external_id, orderId=tag, total="10")])
    queue_email(template="win-back-1", customer=ada, kind="transactional")
    SmsMessage.objects.create(to_number="+4915112345678", idempotency_key=f"sms-{tag}",
                              body=f"Hi {tag}", customer=ada)  # fmt: skip
    chat = BotConversation.objects.create(user_id=ada.external_id, customer=ada)
    chat.messages.create(sender_type="user", content=f"where is my order {tag}?",
                         intent="order_status")  # fmt: skip


def prune() -> dict:
    tasks.prune_personal_data()
    run_due_jobs()
    job = Job.objects.filter(job_type="privacy.prune").latest("created_at")
    assert job.status == "completed", job.error_message
    return job.result


def test_what_is_older_than_its_days_goes_and_the_rest_stays(settings):
    settings.EVENT_RETENTION_DAYS = settings.MESSAGE_RETENTION_DAYS = 30
    settings.CHAT_RETENTION_DAYS = 30
    a_day_of_everything("old")
    run_due_jobs()
    clock.advance(timedelta(days=31))
    a_day_of_everything("new")
    run_due_jobs()
    revenue = list(OrderTotal.objects.values_list("hour", "amount"))

    pruned = prune()

    assert pruned == {"events": 2, "email_tracking": 1, "sms_tracking": 1,
                      "chat_transcripts": 1}  # the old order and its email.sent  # fmt: skip
    assert list(Event.objects.values_list("properties__orderId", flat=True)
                .filter(event_name="order.completed")) == ["new"]  # fmt: skip
    assert list(OrderTotal.objects.values_list("hour", "amount")) == revenue  # figures stay
    old_email, new_email = EmailDelivery.objects.order_by("created_at")
    assert old_email.to_email.endswith("@erased.invalid") and old_email.status == "sent"
    assert new_email.to_email == "ada-new@example.com"
    assert list(SmsMessage.objects.order_by("created_at").values_list("body", flat=True)) == [
        "", "Hi new"]  # fmt: skip
    old_chat, new_chat = BotConversation.objects.order_by("started_at")
    assert (old_chat.user_id, old_chat.messages.get().content) == ("", "(erased)")
    assert old_chat.messages.get().intent == "order_status"
    assert new_chat.messages.get().content == "where is my order new?"
    assert AuditLogEntry.objects.filter(action="privacy.pruned").exists()
    clock.advance(timedelta(days=1))
    assert prune() == {"events": 0, "email_tracking": 0, "sms_tracking": 0,
                       "chat_transcripts": 0}  # run again: nothing left  # fmt: skip


def test_zero_days_keeps_for_ever(settings):
    settings.EVENT_RETENTION_DAYS = 0
    settings.MESSAGE_RETENTION_DAYS = settings.CHAT_RETENTION_DAYS = 0
    a_day_of_everything("old")
    clock.advance(timedelta(days=5000))

    assert prune() == {}
    assert Event.objects.filter(event_name="order.completed").count() == 1
    assert BotMessage.objects.get().content.startswith("where")


def test_a_pass_run_twice_anonymises_once(settings):
    from benchbarrier.personal_data import stand_in_address
    from tests.at_least_once import run_twice

    settings.MESSAGE_RETENTION_DAYS = 30
    a_day_of_everything("old")
    run_due_jobs()
    clock.advance(timedelta(days=31))
    tasks.prune_personal_data()

    run_twice("privacy.prune")

    assert EmailDelivery.objects.get().to_email == stand_in_address("ada-old@example.com")
    assert AuditLogEntry.objects.filter(action="privacy.pruned").count() == 2  # each run says
