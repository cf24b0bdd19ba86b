"""Campaigns in the admin: the builder (each problem on its field, the live audience and
preview), the buttons, progress, results with a chart per variant, sequences and sends."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from benchbarrier.models import AuditLogEntry
from marketing.campaigns import services
from marketing.models import Campaign, CampaignSend, EmailDelivery, EmailTemplate, Sequence
from tests.conftest import run_due_jobs
from tests.marketing.test_campaigns import ACTOR, audience, broadcast

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("email_at_noon")]


def builder(segment, template, **fields) -> dict:
    return {"name": "Spring news", "type": "email", "segment": segment.pk,
            "template": template.pk, "subject": "", "variables": "{}", "local_time": "",
            "variant_subjects": "", "test_share": "0.2", "test_metric": "click_rate",
            "wait_hours": "", "fallback": "leader", "throttle_per_second": "", **fields}  # fmt: skip


def errors_of(response) -> str:
    assert response.status_code == 200
    return response.content.decode().replace("&quot;", '"').replace("&#x27;", "'")


def test_the_builder_names_each_problem_on_its_field_and_saves_nothing(staff_client):
    segment = audience(3)
    template = EmailTemplate.objects.get(slug="win-back-1")
    page = errors_of(
        staff_client.post(
            reverse("admin:marketing_campaign_add"),
            builder(segment, template, variant_subjects="Only one", local_time="25:00",
                    throttle_per_second="0", wait_hours="0.5"),
        )
    )  # fmt: skip
    assert "2 to 4 variants" in page
    assert 'a time of day like "10:00"' in page
    assert "at least 1 message a second" in page
    assert Campaign.objects.filter(kind="broadcast").count() == 0
    late = errors_of(
        staff_client.post(
            reverse("admin:marketing_campaign_add"),
            builder(segment, template, variant_subjects="Spring\nSummer", wait_hours="0.5"),
        )
    )
    assert "at least 1 h for click_rate" in late


def test_a_campaign_built_in_the_admin_keeps_its_schedule_and_test(staff_client):
    segment = audience(3)
    template = EmailTemplate.objects.get(slug="win-back-1")
    response = staff_client.post(
        reverse("admin:marketing_campaign_add"),
        builder(segment, template, local_time="10:00", throttle_per_second="50",
                variant_subjects="Spring is here\n  \nSpring, at last @ 18:00 [first-order-guide]",
                wait_hours="3",
                test_metric="open_rate", fallback="control"),
    )  # fmt: skip
    assert response.status_code == 302, errors_of(response)
    campaign = Campaign.objects.get(name="Spring news")
    assert campaign.schedule_config == {"localTime": "10:00"}
    assert campaign.throttle_per_second == 50
    assert campaign.ab_test == {
        "variants": [{"subject": "Spring is here"}, {"subject": "Spring, at last",
                      "localTime": "18:00", "template": "first-order-guide"}],
        "testShare": 0.2, "metric": "open_rate", "fallback": "control", "waitHours": 3.0,
    }  # fmt: skip
    assert campaign.created_by is not None
    assert AuditLogEntry.objects.filter(action="campaign.created").exists()
    page = staff_client.get(reverse("admin:marketing_campaign_change", args=[campaign.pk]))
    text = page.content.decode()
    # the variants are shown as written
    assert "Spring is here\nSpring, at last @ 18:00 [first-order-guide]" in text
    assert "Send now" in text and "Schedule" in text and "Send a test" in text


def test_the_builder_preview_says_who_can_receive_it_and_shows_the_email(staff_client):
    segment = audience(4)
    segment.memberships.filter(customer__external_id="Everyone-0").update()
    from marketing.models import Customer

    Customer.objects.filter(external_id="Everyone-0").update(email_opt_in=False)
    template = EmailTemplate.objects.get(slug="win-back-1")
    body = staff_client.get(
        reverse("admin:marketing_campaign_builder_preview"),
        {"segment": segment.pk, "template": template.pk, "subject": "Hello <b>you</b>",
         "variables": "{}"},
    ).json()  # fmt: skip
    assert body["audience"] == "4 in segment, 3 can receive email"
    assert "Hello &lt;b&gt;you&lt;/b&gt;" in body["preview"]  # escaped, never markup
    assert "<iframe" in body["preview"]
    broken = staff_client.get(
        reverse("admin:marketing_campaign_builder_preview"),
        {"template": template.pk, "variables": "[1]"},
    ).json()
    assert "not a JSON object" in broken["preview"]
    assert "audience" not in broken


def test_send_progress_results_and_the_buttons_that_fit(staff_client, settings):
    settings.CAMPAIGN_SEND_CHUNK = 5
    segment = audience(12)
    campaign = broadcast(segment, ab_test={"variants": [{"subject": "A one"},
                                                        {"subject": "B one"}],
                                           "testShare": 0.5})  # fmt: skip
    act = lambda verb, **data: staff_client.post(  # noqa: E731
        reverse("admin:marketing_campaign_act", args=[campaign.pk, verb]), data, follow=True
    )
    tested = act("test", emails="me@example.com, not-an-address")
    assert "Not an email address: not-an-address" in tested.content.decode()
    tested = act("test", emails="me@example.com")
    assert "2 test email(s) queued" in tested.content.decode()  # one per variant
    assert EmailDelivery.objects.filter(to_email="me@example.com", is_test=True).count() == 2
    assert "Sending: the audience is frozen now" in act("send").content.decode()
    wrong = act("resume").content.decode()
    assert "Not done: the campaign is scheduled; it cannot be" in wrong
    run_due_jobs()
    campaign.refresh_from_db()
    progress = staff_client.get(
        reverse("admin:marketing_campaign_progress", args=[campaign.pk])
    ).json()
    assert progress["total"] == 12 and progress["status"] == "testing"
    assert progress["done"] == 6 and progress["held"] == 6
    assert "<progress" in progress["html"] and "6 held for the winner" in progress["html"]
    page = staff_client.get(reverse("admin:marketing_campaign_change", args=[campaign.pk]))
    text = page.content.decode()
    assert "Pause" in text and "Send now" not in text and 'name="_save"' not in text
    results = staff_client.get(reverse("admin:marketing_campaign_results", args=[campaign.pk]))
    text = results.content.decode()
    charts = text.split('id="variant-charts"')[1].split("</div>")[0]
    assert charts.count("<svg") == 5  # recipients, the metric, chance, clicks, conversions
    assert "A: 3" in charts and "B: 3" in charts  # each bar's tooltip
    assert "Not decided yet" in text
    assert '<th scope="row">Recipients</th><td>6</td>' in text
    assert "Pause" in act("pause").content.decode()
    assert Campaign.objects.get(pk=campaign.pk).status == "paused"
    act("cancel")
    assert Campaign.objects.get(pk=campaign.pk).status == "cancelled"
    assert CampaignSend.objects.filter(campaign=campaign, status="cancelled").count() == 6


def test_list_actions_move_each_campaign_and_explain_the_rest(staff_client):
    segment = audience(2)
    running = broadcast(segment)
    services.launch(campaign=running, actor=ACTOR)
    draft = services.save_campaign(
        campaign=Campaign(name="Later", segment=segment, template=running.template), actor=ACTOR
    )
    response = staff_client.post(
        reverse("admin:marketing_campaign_changelist"),
        {"action": "pause_selected", "_selected_action": [running.pk, draft.pk]},
        follow=True,
    )
    text = response.content.decode()
    assert "1 campaign(s) paused." in text
    assert "Later: the campaign is draft; it cannot be paused." in text
    listing = staff_client.get(
        reverse("admin:marketing_campaign_changelist"), {"status": "paused"}
    )
    assert "Spring news" in listing.content.decode()
    assert "Later" not in listing.content.decode().split("result-list")[-1]


def test_sequences_are_edited_step_by_step_and_switched(staff_client):
    welcome = Sequence.objects.get(key="welcome-series")
    url = reverse("admin:marketing_sequence_change", args=[welcome.pk])
    listing = staff_client.get(reverse("admin:marketing_sequence_changelist")).content.decode()
    assert "day 0: welcome-email → day 3: first-order-guide" in listing
    assert "user.created happens" in listing
    bad = errors_of(
        staff_client.post(
            url,
            {
                "name": welcome.name,
                "steps": (
                    '[{"delay": 0, "template": "welcome-email"}, {"delay": -1, "template": "nope"}]'
                ),
            },
        )
    )
    assert "steps[1].delay: whole days from the start of the sequence, 0 or more" in bad
    assert "steps[1].template: an email template&#x27;s slug" in bad or (
        "steps[1].template: an email template's slug" in bad
    )
    ok = staff_client.post(url, {"name": "Welcome", "steps": (
        '[{"delay": 0, "subject": "Hi", "template": "welcome-email"}]')})  # fmt: skip
    assert ok.status_code == 302
    welcome.refresh_from_db()
    assert welcome.name == "Welcome"
    assert welcome.schedule_config["steps"] == [
        {"delay": 0, "subject": "Hi", "template": "welcome-email"}
    ]
    assert [s["type"] for s in welcome.workflow.steps] == ["sendEmail"]
    staff_client.post(reverse("admin:marketing_sequence_changelist"),
                      {"action": "switch_on", "_selected_action": [welcome.pk]})  # fmt: skip
    welcome.refresh_from_db()
    assert welcome.status == "active" and not welcome.workflow.is_paused


def test_sends_are_listed_read_only_and_filtered(staff_client):
    segment = audience(3)
    campaign = broadcast(segment)
    services.launch(campaign=campaign, actor=ACTOR)
    run_due_jobs()
    assert len(mail.outbox) == 3
    listing = staff_client.get(reverse("admin:marketing_campaignsend_changelist"),
                               {"campaign__id__exact": campaign.pk, "status": "sent"})  # fmt: skip
    assert listing.status_code == 200
    assert listing.content.decode().count("Spring news to") >= 3
    assert staff_client.get(reverse("admin:marketing_campaignsend_add")).status_code == 403


def test_the_builder_previews_an_sms_and_the_messages_are_listed(staff_client):
    from marketing.sms.services import queue_sms

    segment = audience(2)
    body = staff_client.get(
        reverse("admin:marketing_campaign_builder_preview"),
        {"segment": segment.pk, "type": "sms", "text": "Hi {{ customer.first_name }} €"},
    ).json()
    assert body["audience"] == "2 in segment, 0 can receive SMS"
    assert "Hi Ada €" in body["preview"] and "GSM-7" in body["preview"]
    assert "1 segment(s)" in body["preview"]
    broken = staff_client.get(reverse("admin:marketing_campaign_builder_preview"),
                              {"type": "sms", "text": "{% if %}"}).json()  # fmt: skip
    assert "Text: does not compile" in broken["preview"]
    created = staff_client.post(
        reverse("admin:marketing_campaign_add"),
        {**builder(segment, EmailTemplate.objects.first(), type="sms", text=""), "template": ""},
    )
    assert "the message&#x27;s text" in created.content.decode()
    queue_sms(text="Hello", to="+4915112345678", idempotency_key="admin-1")
    listing = staff_client.get(reverse("admin:marketing_smsmessage_changelist"))
    assert listing.status_code == 200 and "+4915112345678" in listing.content.decode()
