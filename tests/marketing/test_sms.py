"""SMS: lengths as the networks count them, numbers in E.164, consent and STOP replies,
Twilio (the real SDK against a local fake) with signed status callbacks and replies,
the SMS budget, short tracked links, the `sendSms` step and SMS campaigns."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from twilio.request_validator import RequestValidator

from analytics.models import Event
from benchbarrier import clock
from benchbarrier.models import SpendEntry
from benchbarrier.services.audit import Actor
from benchbarrier.services.spend import record_spend
from marketing.campaigns import metrics
from marketing.campaigns import services as campaigns
from marketing.models import (
    Campaign,
    CampaignSend,
    Customer,
    Segment,
    SegmentMember,
    SmsMessage,
    SmsOptOut,
)
from marketing.sms import backends
from marketing.sms.encoding import measure
from marketing.sms.services import queue_sms
from tests.conftest import run_due_jobs
from tests.marketing.fake_twilio import FakeTwilio
from workflows.definition import DefinitionError
from workflows.services import save_workflow, start_execution

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("email_at_noon")]
ACTOR = Actor.system("tests")
TOKEN = "twilio-auth-token"
ADA = "+4915112345678"


@pytest.fixture
def twilio(settings):
    fake = FakeTwilio()
    settings.SMS_BACKEND = "twilio"
    settings.TWILIO_ACCOUNT_SID = "AC" + "0" * 32
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.TWILIO_MESSAGING_SERVICE_SID = "MG" + "1" * 32
    settings.TWILIO_API_BASE_URL = fake.url
    settings.SITE_URL = "https://ops.example.com"
    backends.backend.cache_clear()
    yield fake
    backends.backend.cache_clear()
    fake.close()


def customer(name: str, phone: str, *, opted_in: bool = True) -> Customer:
    return Customer.objects.create(external_id=name.split()[0].lower(), name=name, phone=phone,
                                   sms_opt_in=opted_in)  # fmt: skip


def signed_post(client, path: str, form: dict[str, str], *, token: str = TOKEN):
    url = "https://ops.example.com" + path
    signature = RequestValidator(token).compute_signature(url, form)
    return client.post(path, form, HTTP_X_TWILIO_SIGNATURE=signature)


def test_lengths_are_counted_as_the_networks_count_them():
    assert measure("a" * 160) == measure("a" * 160).__class__("GSM-7", 160, 1)
    assert measure("a" * 161).segments == 2  # 153 per segment once split
    assert measure("€" * 80).units == 160 and measure("€" * 81).segments == 2  # 2 septets each
    assert measure("Grüße aus Köln").encoding == "GSM-7"
    assert measure("Ça va? 😀").encoding == "UCS-2"
    assert measure("x" * 69 + "😀").segments == 2  # the emoji takes two of the 70 units
    assert measure("ł" * 70).segments == 1 and measure("ł" * 71).segments == 2


def test_a_phone_is_stored_in_e164_and_a_bad_one_is_named(key_client):
    api = key_client("marketing")
    ok = api.post("/api/marketing/customers",
                  {"externalId": "ada", "phone": "+49 151 1234-5678"}, format="json")  # fmt: skip
    assert ok.status_code in (200, 201), ok.json()
    assert Customer.objects.get(external_id="ada").phone == ADA
    bad = api.post("/api/marketing/customers", {"externalId": "bo", "phone": "12345"},
                   format="json")  # fmt: skip
    assert bad.status_code == 400
    assert "phone" in str(bad.json())
    assert "country code" in str(bad.json())


def test_a_message_goes_through_twilio_priced_per_segment(twilio):
    ada = customer("Ada Moreau", ADA)
    message = queue_sms(text="Hi Ada! " + "x" * 160, customer=ada, idempotency_key="t1")
    assert message.segments == 2
    run_due_jobs()
    message.refresh_from_db()
    assert message.status == "sent" and message.provider_id.startswith("SM")
    sent = twilio.sent[0]
    assert sent["To"] == ADA and sent["MessagingServiceSid"].startswith("MG")
    assert sent["StatusCallback"] == "https://ops.example.com/sms/twilio/status"
    entry = SpendEntry.objects.get(service="sms")
    assert entry.cost == Decimal("0.0158") and entry.quantity == 2
    assert Event.objects.filter(event_name="sms.sent", user_id="ada").count() == 1
    queue_sms(text="again", customer=ada, idempotency_key="t1")  # the same key: no second
    run_due_jobs()
    assert len(twilio.requests) == 1


def test_a_rate_limited_send_is_retried_and_sent_once(twilio):
    twilio.fail_first = 1
    message = queue_sms(text="Hello", customer=customer("Ada", ADA), idempotency_key="t2")
    run_due_jobs()
    message.refresh_from_db()
    assert message.status == "queued" and len(twilio.requests) == 1
    clock.advance(timedelta(minutes=5))
    run_due_jobs()
    message.refresh_from_db()
    assert message.status == "sent" and len(twilio.requests) == 2
    assert SmsMessage.objects.count() == 1


def test_a_number_twilio_refuses_fails_with_its_reason(twilio):
    twilio.invalid.add(ADA)
    message = queue_sms(text="Hello", customer=customer("Ada", ADA), idempotency_key="t3")
    run_due_jobs()
    message.refresh_from_db()
    assert message.status == "failed"
    assert "21211" in message.reason and "not a valid phone number" in message.reason


def test_a_stop_reply_suppresses_the_next_send_and_start_lifts_it(client, twilio):
    ada = customer("Ada", ADA)
    reply = signed_post(client, "/sms/twilio/inbound", {"From": ADA, "Body": " Stop please"})
    assert reply.status_code == 200 and b"<Response></Response>" in reply.content
    ada.refresh_from_db()
    assert not ada.sms_opt_in and ada.sms_opt_in_source == "replied STOP"
    assert SmsOptOut.objects.filter(number=ADA).exists()
    blocked = queue_sms(text="Sale!", customer=ada, idempotency_key="t4")
    run_due_jobs()
    blocked.refresh_from_db()
    assert blocked.status == "skipped" and blocked.reason == "the number replied STOP"
    assert twilio.requests == []
    helped = signed_post(client, "/sms/twilio/inbound", {"From": ADA, "Body": "HELP"})
    assert b"<Message>BenchBarrier: shop news by SMS. Reply STOP" in helped.content
    signed_post(client, "/sms/twilio/inbound", {"From": ADA, "Body": "START"})
    ada.refresh_from_db()
    assert ada.sms_opt_in and not SmsOptOut.objects.exists()
    forged = signed_post(client, "/sms/twilio/inbound", {"From": ADA, "Body": "STOP"},
                         token="not-the-token")  # fmt: skip
    assert forged.status_code == 403
    ada.refresh_from_db()
    assert ada.sms_opt_in, "a forged STOP changes nothing"


def test_status_callbacks_need_a_good_signature_and_never_go_backwards(client, twilio):
    message = queue_sms(text="Hello", customer=customer("Ada", ADA), idempotency_key="t5")
    run_due_jobs()
    message.refresh_from_db()
    sid = message.provider_id
    forged = signed_post(client, "/sms/twilio/status",
                         {"MessageSid": sid, "MessageStatus": "failed"}, token="wrong")  # fmt: skip
    assert forged.status_code == 403
    done = signed_post(client, "/sms/twilio/status",
                       {"MessageSid": sid, "MessageStatus": "delivered"})  # fmt: skip
    assert done.status_code == 204
    late = signed_post(client, "/sms/twilio/status", {"MessageSid": sid, "MessageStatus": "sent"})
    assert late.status_code == 204
    message.refresh_from_db()
    assert message.status == "delivered" and message.delivered_at is not None
    unknown = signed_post(client, "/sms/twilio/status",
                          {"MessageSid": "SMnope", "MessageStatus": "delivered"})  # fmt: skip
    assert unknown.status_code == 404


def test_the_sms_budget_refuses_sending_at_fifty_dollars(twilio):
    record_spend(service="sms", operation="send", cost=Decimal("49.995"))
    ada = customer("Ada", ADA)
    first = queue_sms(text="one", customer=ada, idempotency_key="t6")
    run_due_jobs()  # 49.995 + 0.0079: at the limit now
    second = queue_sms(text="two", customer=ada, idempotency_key="t7")
    run_due_jobs()
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == "sent"
    assert second.status == "failed" and "budget" in second.reason and "is spent" in second.reason
    assert len(twilio.requests) == 1


def test_links_are_shortened_and_their_clicks_counted(client, twilio):
    ada = customer("Ada", ADA)
    message = queue_sms(text="Sale: https://shop.example.com/sale?x=1. Bye",
                        customer=ada, idempotency_key="t8")  # fmt: skip
    assert message.links == ["https://shop.example.com/sale?x=1"]
    short = message.body.split()[1].rstrip(".")
    assert short.startswith("https://ops.example.com/s/")
    path = short.removeprefix("https://ops.example.com")
    clicked = client.get(path)
    assert (
        clicked.status_code == 302 and clicked["Location"] == "https://shop.example.com/sale?x=1"
    )
    message.refresh_from_db()
    assert message.clicked_at is not None
    assert Event.objects.filter(event_name="sms.clicked", user_id="ada").count() == 1
    assert client.get(path[:-1] + "0").status_code == 404  # a forged check


def test_the_send_sms_step_is_checked_on_save_and_sends_once_per_run(twilio):
    with pytest.raises(DefinitionError) as caught:
        save_workflow(actor=ACTOR, name="Bad", trigger_type="webhook", trigger_config={},
                      steps=[{"type": "sendSms", "text": "Hi {% if %}"}])  # fmt: skip
    assert "steps[0].text" in str(caught.value)
    ada = customer("Ada Moreau", ADA)
    flow = save_workflow(actor=ACTOR, name="Text", trigger_type="webhook", trigger_config={},
                         steps=[{"type": "sendSms",
                                 "text": "Hi {{ customer.first_name }}, your cart: {{ trigger.cart.total }}"}])  # fmt: skip
    start_execution(flow, context={"cart": {"total": "42.00"}}, user_id="ada")
    run_due_jobs()
    assert [r["form"]["Body"] for r in twilio.requests] == ["Hi Ada, your cart: 42.00"]
    assert SmsMessage.objects.get().customer == ada
    run = start_execution(flow, context={}, user_id="ada")
    run_due_jobs()
    run.refresh_from_db()
    assert run.status == "failed" and 'steps[0].text: "trigger.cart.total" has no value' in (
        run.error
    )


def test_an_sms_campaign_skips_who_cannot_receive_it_with_the_reason(twilio):
    segment = Segment.objects.create(name="Texters", kind="static")
    people = [customer("Ada", ADA), customer("Bo", "+4915112345679", opted_in=False),
              customer("Cy", "12345"), customer("Di", "+4915112345670")]  # fmt: skip
    SmsOptOut.objects.create(number="+4915112345670", keyword="STOP")
    SegmentMember.objects.bulk_create([SegmentMember(segment=segment, customer=c) for c in people])
    campaign = campaigns.save_campaign(
        campaign=Campaign(name="Spring SMS", type="sms", segment=segment,
                          text="Hi {{ customer.first_name }}! Spring sale today."),
        actor=ACTOR,
    )  # fmt: skip
    assert str(campaigns.audience.size_of(campaign)) == "4 in segment, 1 can receive SMS"
    campaigns.launch(campaign=campaign, actor=ACTOR)
    run_due_jobs()
    assert [r["form"]["Body"] for r in twilio.requests] == ["Hi Ada! Spring sale today."]
    reasons = dict(SmsMessage.objects.values_list("customer__name", "reason"))
    assert reasons == {"Ada": "", "Bo": "no SMS consent", "Cy": 'no valid phone number ("12345")',
                       "Di": "the number replied STOP"}  # fmt: skip
    states = dict(CampaignSend.objects.values_list("customer__name", "status"))
    assert states == {"Ada": "sent", "Bo": "skipped", "Cy": "skipped", "Di": "skipped"}
    campaign.refresh_from_db()
    assert campaign.status == "sent"
    figures = metrics.refresh(campaign)
    assert figures["recipients"] == 1 and figures["cost"] == pytest.approx(0.0079)


def test_an_sms_campaign_needs_its_text():
    segment = Segment.objects.create(name="Texters", kind="static")
    with pytest.raises(campaigns.CampaignError) as caught:
        campaigns.save_campaign(campaign=Campaign(name="x", type="sms", segment=segment),
                                actor=ACTOR)  # fmt: skip
    assert caught.value.errors == [("text", "the message's text")]


def test_a_send_run_twice_is_one_sms_and_one_charge(twilio):
    from tests.at_least_once import run_twice

    queue_sms(text="Hi Ada!", customer=customer("Ada Moreau", ADA), idempotency_key="t1")

    run_twice("sms.send")

    assert len(twilio.sent) == 1
    assert SpendEntry.objects.filter(service="sms").count() == 1
    assert Event.objects.filter(event_name="sms.sent").count() == 1


def test_a_number_whose_owner_was_erased_is_never_texted_again(twilio):
    from marketing.services.privacy import erase_customer

    erase_customer(customer=customer("Ada Moreau", ADA), actor=ACTOR)
    again = customer("Ada Again", ADA)  # the same number, from an old list
    message = queue_sms(text="Hi!", customer=again, idempotency_key="t2")
    run_due_jobs()

    message.refresh_from_db()
    assert (message.status, message.reason) == ("skipped",
                                                 "the number's owner had their data erased")  # fmt: skip
    assert twilio.sent == []
