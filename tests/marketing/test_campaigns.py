"""Broadcasts: the audience frozen at send time, throttled chunks through the email
path, pause, resume and cancel, progress, test sends."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail

from benchbarrier import clock
from benchbarrier.services.audit import Actor
from marketing.campaigns import services
from marketing.models import (
    Attribution,
    Campaign,
    CampaignSend,
    Customer,
    EmailTemplate,
    Segment,
    SegmentMember,
    Suppression,
)
from tests.conftest import run_due_jobs

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("email_at_noon")]
ACTOR = Actor.system("tests")


def audience(count: int, *, opted_in: bool = True, name: str = "Everyone") -> Segment:
    segment = Segment.objects.create(name=name, kind="static")
    customers = Customer.objects.bulk_create(
        [
            Customer(
                external_id=f"{name}-{n}",
                email=f"{name.lower()}{n}@example.com",
                name=f"Reader {n}",
                email_opt_in=opted_in,
            )
            for n in range(count)
        ]
    )
    SegmentMember.objects.bulk_create(
        [SegmentMember(segment=segment, customer=c) for c in customers]
    )
    return segment


def broadcast(segment: Segment, **fields) -> Campaign:
    template = EmailTemplate.objects.get(slug="win-back-1")
    campaign = Campaign(name="Spring news", segment=segment, template=template, **fields)
    return services.save_campaign(campaign=campaign, actor=ACTOR)


def test_a_broadcast_reaches_those_who_can_receive_it_once_each(settings):
    settings.CAMPAIGN_SEND_CHUNK = 7
    segment = audience(20)
    Customer.objects.filter(external_id="Everyone-3").update(email_opt_in=False)
    Suppression.objects.create(email="everyone4@example.com", scope="all", reason="bounce")
    campaign = broadcast(segment, subject="We miss you, {{ customer.first_name }}")
    assert str(services.audience.audience_size(segment, campaign.template)) == (
        "20 in segment, 18 can receive email"
    )
    services.launch(campaign=campaign, actor=ACTOR)
    run_due_jobs()
    run_due_jobs()
    campaign.refresh_from_db()
    assert campaign.status == "sent"
    assert CampaignSend.objects.filter(campaign=campaign).count() == 18
    assert CampaignSend.objects.filter(campaign=campaign, status="sent").count() == 18
    assert len(mail.outbox) == 18
    assert len({m.to[0] for m in mail.outbox}) == 18, "once each"
    assert mail.outbox[0].subject.startswith("We miss you, Reader")
    progress = services.progress(campaign)
    assert (progress.total, progress.done, progress.sent) == (18, 18, 18)


def run_one_chunk() -> None:
    """Run one batch of due jobs (a chunk per sender), as one worker's claim would."""
    from jobs.runner import run_until_idle

    next(run_until_idle(worker="tests", limit=10), None)


def test_pause_stops_mid_send_resume_finishes_cancel_leaves_the_rest_unsent(settings):
    settings.CAMPAIGN_SEND_CHUNK = 5
    settings.CAMPAIGN_PARALLEL_SENDERS = 1
    campaign = broadcast(audience(30))
    services.launch(campaign=campaign, actor=ACTOR)
    run_one_chunk()  # the launch: audience frozen, one sender queued
    run_one_chunk()  # the first chunk
    assert len(mail.outbox) == 5
    services.pause(campaign=campaign, actor=ACTOR)
    run_due_jobs()
    assert len(mail.outbox) == 5, "nothing goes out while paused"
    progress = services.progress(Campaign.objects.get(pk=campaign.pk))
    assert (progress.total, progress.done) == (30, 5)
    services.resume(campaign=campaign, actor=ACTOR)
    run_one_chunk()
    assert len(mail.outbox) == 10
    services.cancel(campaign=campaign, actor=ACTOR)
    run_due_jobs()
    assert len(mail.outbox) == 10, "cancelled: the rest stays unsent"
    counts = {
        s: CampaignSend.objects.filter(campaign=campaign, status=s).count()
        for s in ("sent", "cancelled")
    }
    assert counts == {"sent": 10, "cancelled": 20}
    with pytest.raises(services.CampaignStateError):
        services.resume(campaign=campaign, actor=ACTOR)


def test_a_test_send_goes_to_the_given_addresses_before_launch():
    campaign = broadcast(
        audience(3),
        ab_test={"variants": [{"subject": "Plain"}, {"subject": "Bold"}], "testShare": 0.5},
    )
    deliveries = services.send_test(campaign=campaign, emails=["me@example.com"], actor=ACTOR)
    run_due_jobs()
    assert sorted(m.subject for m in mail.outbox) == ["[Test] Bold [B]", "[Test] Plain [A]"]
    assert all(d.is_test for d in deliveries)
    assert Campaign.objects.get(pk=campaign.pk).status == "draft"


def test_the_throttle_is_one_bucket_for_every_sender():
    from benchbarrier.ratelimit import take

    assert take("campaign:t", 100, rate=100) == 0.0
    wait = take("campaign:t", 50, rate=100)
    assert 0.49 < wait <= 0.5, "50 more need half a second"
    clock.advance(timedelta(seconds=0.5))
    assert take("campaign:t", 50, rate=100) == 0.0


def ab_campaign(settings, count: int = 400, **test) -> Campaign:
    settings.AB_MIN_SAMPLE = 50
    settings.CAMPAIGN_SEND_CHUNK = 500
    return broadcast(
        audience(count),
        ab_test={
            "variants": [{"subject": "Plain"}, {"subject": "Bold"}],
            "testShare": 0.5,
            "metric": "click_rate",
            **test,
        },
    )


def click(campaign: Campaign, variant: str, share: float) -> None:
    """Readers of `variant` click, a minute after sending (not a scanner's click)."""
    sends = list(
        CampaignSend.objects.filter(campaign=campaign, variant=variant, status="sent").order_by(
            "pk"
        )
    )
    for send in sends[: round(len(sends) * share)]:
        send.delivery.clicked_at = send.delivery.sent_at + timedelta(minutes=1)
        send.delivery.save(update_fields=["clicked_at"])


def test_an_ab_test_picks_the_variant_with_the_clearly_higher_click_rate(settings):
    campaign = ab_campaign(settings)
    services.launch(campaign=campaign, actor=ACTOR)
    run_due_jobs()
    assert sorted({m.subject for m in mail.outbox}) == ["Bold", "Plain"]
    assert len(mail.outbox) == 200 and CampaignSend.objects.filter(status="held").count() == 200
    click(campaign, "A", 0.05)
    click(campaign, "B", 0.30)
    with clock.travel(timedelta(hours=1, minutes=1)):  # the click metric's wait
        run_due_jobs()
        campaign.refresh_from_db()
    assert campaign.decision["winner"] == "B" and campaign.decision["byRule"] is True
    b = next(v for v in campaign.decision["variants"] if v["name"] == "B")
    assert b["winProbability"] > 0.99 and b["lift"]["low"] > 0
    assert campaign.status == "sent"
    rest = mail.outbox[200:]
    assert len(rest) == 200 and {m.subject for m in rest} == {"Bold"}


def test_an_ab_test_of_equal_variants_picks_none_by_the_rule_and_falls_back(settings):
    campaign = ab_campaign(settings, fallback="control")
    services.launch(campaign=campaign, actor=ACTOR)
    run_due_jobs()
    click(campaign, "A", 0.10)
    click(campaign, "B", 0.10)
    with clock.travel(timedelta(hours=2)):
        run_due_jobs()
    campaign.refresh_from_db()
    decision = campaign.decision
    assert decision["byRule"] is False and decision["winner"] == "A"
    assert "no variant reached a 90% chance of being best" in decision["reason"]
    assert "the fallback sends A (control)" in decision["reason"]
    assert {m.subject for m in mail.outbox[200:]} == {"Plain"}


def test_a_send_time_test_waits_for_its_latest_variant_and_sends_the_rest_at_its_time(
    settings,
):
    campaign = ab_campaign(settings, count=40)
    campaign.ab_test["variants"] = [{"localTime": "10:00"}, {"localTime": "18:00"}]
    campaign.save(update_fields=["ab_test"])
    services.launch(campaign=campaign, actor=ACTOR)
    run_due_jobs()  # noon: A goes at 10:00 tomorrow, B at 18:00 today (UTC customers)
    assert len(mail.outbox) == 0
    clock.advance(timedelta(hours=6))
    run_due_jobs()
    assert len(mail.outbox) == 10
    assert set(CampaignSend.objects.filter(status="sent").values_list("variant", flat=True)) == {
        "B"
    }
    clock.advance(timedelta(hours=16))
    run_due_jobs()
    assert len(mail.outbox) == 20
    click(campaign, "A", 0.1)
    click(campaign, "B", 0.9)
    clock.advance(timedelta(minutes=30))
    run_due_jobs()
    campaign.refresh_from_db()
    assert not campaign.decision, "the wait counts from the last variant's send"
    clock.advance(timedelta(minutes=31))
    run_due_jobs()
    campaign.refresh_from_db()
    assert campaign.decision["winner"] == "B"
    assert len(mail.outbox) == 20, "the rest wait for the winner's time"
    clock.advance(timedelta(hours=7))  # 18:00
    run_due_jobs()
    assert len(mail.outbox) == 40
    assert CampaignSend.objects.filter(variant="B", status="sent").count() == 30


def test_a_variant_needs_something_to_try():
    with pytest.raises(services.CampaignError) as caught:
        broadcast(audience(1), ab_test={"variants": [{"localTime": "25:00"}, {}]})
    assert caught.value.errors == [
        ("abTest.variants[0].localTime", 'a time of day like "18:00"'),
        (
            "abTest.variants[1]",
            "a variant needs a subject, a template or a localTime (what it tries)",
        ),
    ]


def tracked_link(message) -> str:
    """The first tracked link of a sent message, as the reader's client would open it."""
    html = message.alternatives[0][0]
    return re.search(r'href="https?://[^/"]+(/email/c/[^"]+)"', html).group(1)


def test_an_order_after_a_click_is_attributed_once(client):
    from analytics.services import record_events
    from marketing.campaigns import metrics

    campaign = broadcast(audience(2))
    services.launch(campaign=campaign, actor=ACTOR)
    run_due_jobs()
    message = mail.outbox[0]
    send = CampaignSend.objects.get(campaign=campaign, customer__email=message.to[0])
    clock.advance(timedelta(hours=3))
    assert client.get(tracked_link(message)).status_code == 302
    order = {
        "eventName": "order.completed",
        "userId": send.customer.external_id,
        "messageId": "order-1",
        "properties": {"orderId": "1001", "total": "80.00"},
    }
    clock.advance(timedelta(days=2))  # inside the 5-day click window
    record_events([order])
    record_events([{**order, "messageId": "order-1-again"}])  # the same order sent twice
    run_due_jobs()
    run_due_jobs()  # a consumer run again changes nothing
    send.refresh_from_db()
    assert send.clicked_at is not None and send.converted_at is not None
    assert send.revenue == 80
    assert Attribution.objects.get().touch == "click"
    figures = metrics.refresh(campaign)
    assert (figures["conversions"], figures["revenue"], figures["recipients"]) == (1, 80.0, 2)
    assert figures["clicks"] == 1 and figures["revenuePerRecipient"] == 40.0


def test_an_order_outside_every_window_is_not_attributed(client):
    from analytics.services import record_events

    campaign = broadcast(audience(1))
    services.launch(campaign=campaign, actor=ACTOR)
    run_due_jobs()
    client.get(tracked_link(mail.outbox[0]))
    clock.advance(timedelta(days=6))  # past the 5-day click window
    customer = CampaignSend.objects.get(campaign=campaign).customer
    record_events(
        [
            {
                "eventName": "order.completed",
                "userId": customer.external_id,
                "properties": {"orderId": "1002", "total": "10"},
            }
        ]
    )
    run_due_jobs()
    assert not Attribution.objects.exists()


@pytest.mark.parametrize("job_type", ["campaign.launch", "campaign.send"])
def test_a_launch_or_a_chunk_run_twice_sends_once_each(settings, job_type):
    from tests.at_least_once import run_twice

    settings.CAMPAIGN_SEND_CHUNK = 7
    campaign = broadcast(audience(20))
    services.launch(campaign=campaign, actor=ACTOR)

    run_twice(job_type)
    run_due_jobs()

    assert CampaignSend.objects.filter(campaign=campaign, status="sent").count() == 20
    assert len(mail.outbox) == 20 and len({m.to[0] for m in mail.outbox}) == 20


def test_a_decision_run_twice_sends_the_rest_once(settings):
    from tests.at_least_once import run_twice

    campaign = ab_campaign(settings, count=200)
    services.launch(campaign=campaign, actor=ACTOR)
    run_due_jobs()
    click(campaign, "A", 0.05)
    click(campaign, "B", 0.40)
    with clock.travel(timedelta(hours=1, minutes=1)):
        run_twice("campaign.decide")
        run_due_jobs()
    campaign.refresh_from_db()
    assert campaign.decision["winner"] == "B" and campaign.status == "sent"
    assert len(mail.outbox) == 200 and {m.subject for m in mail.outbox[100:]} == {"Bold"}


def test_the_metrics_refresh_run_twice_counts_the_same():
    from marketing.tasks import refresh_campaign_metrics
    from tests.at_least_once import run_twice

    campaign = broadcast(audience(5))
    services.launch(campaign=campaign, actor=ACTOR)
    run_due_jobs()
    refresh_campaign_metrics()

    run_twice("campaign.metrics")

    campaign.refresh_from_db()
    assert (campaign.metrics["recipients"], campaign.metrics["delivered"]) == (5, 5)
