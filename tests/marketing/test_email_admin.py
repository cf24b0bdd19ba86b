"""Email templates as marketers see them: every shipped template renders, previews,
test sends, deliveries and suppressions in the admin, the delivery rate."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse

from benchbarrier import clock
from marketing.email.rendering import DEFAULTS_DIR, read_default, render_email
from marketing.email.sending import deliver
from marketing.email.services import apply_esp_event, queue_email
from marketing.models import EmailDelivery, EmailTemplate, Suppression
from marketing.selectors import delivery_rate
from tests.conftest import run_due_jobs
from tests.marketing.factories import CustomerFactory

pytestmark = pytest.mark.django_db
SEED_TEMPLATES = {
    "abandoned-cart-reminder", "abandoned-cart-discount", "welcome", "getting-started-tips",
    "first-order-discount", "welcome-email", "first-order-guide", "first-purchase-discount",
    "win-back-1", "win-back-discount", "order-confirmation", "product-feedback",
    "review-request",
}  # fmt: skip
# Beside the seed's: the emails the back office itself sends.
OWN_TEMPLATES = {"analytics-report", "chatbot-handoff", "operations-alert"}


@pytest.fixture(autouse=True)
def _email(settings):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    mail.outbox = []


def test_every_template_the_seed_names_ships_and_renders_with_its_sample_data():
    shipped = SEED_TEMPLATES | OWN_TEMPLATES
    assert {Path(p).stem for p in DEFAULTS_DIR.glob("*.email")} == shipped
    assert set(EmailTemplate.objects.values_list("slug", flat=True)) >= shipped
    for slug in sorted(shipped):
        template = EmailTemplate.objects.get(slug=slug)
        assert template.sample_data == read_default(DEFAULTS_DIR / f"{slug}.email")["sample_data"]
        rendered = render_email(template, template.sample_data, customer=None,
                                to_email="a@example.com")  # fmt: skip
        assert rendered.subject and "<html" in rendered.html and rendered.text.strip(), slug
        assert 'name="viewport"' in rendered.html  # phones


def test_template_page_previews_html_and_text_side_by_side(staff_client):
    template = EmailTemplate.objects.get(slug="abandoned-cart-reminder")
    page = staff_client.get(reverse("admin:marketing_emailtemplate_change", args=[template.pk]))
    text = page.content.decode()
    assert 'title="HTML preview"' in text and "Plain text" in text
    assert "Trail running shoes" in text


def test_a_template_that_does_not_compile_is_refused_with_the_field(staff_client):
    template = EmailTemplate.objects.get(slug="welcome")
    url = reverse("admin:marketing_emailtemplate_change", args=[template.pk])
    data = {"slug": "welcome", "name": "Welcome", "kind": "marketing", "category": "onboarding",
            "subject": "Hi {% if %}", "html_body": "<p>x</p>", "text_body": "x",
            "variables": "[]", "sample_data": "{}"}  # fmt: skip
    response = staff_client.post(url, data)
    assert response.status_code == 200
    assert "This does not compile: subject:" in response.content.decode()
    template.refresh_from_db()
    assert template.subject != "Hi {% if %}"


def test_send_a_test_to_me(staff_client):
    template = EmailTemplate.objects.get(slug="win-back-1")  # marketing: no opt-in needed
    url = reverse("admin:marketing_emailtemplate_send_test", args=[template.pk])
    response = staff_client.get(url, follow=True)
    assert "Test queued for" in response.content.decode()
    delivery = EmailDelivery.objects.get()
    assert delivery.is_test and delivery.source.startswith("test by ")
    run_due_jobs()
    delivery.refresh_from_db()
    assert delivery.status == "sent", delivery.reason
    assert len(mail.outbox) == 1 and mail.outbox[0].subject.startswith("[Test] ")


def test_deliveries_and_suppressions_in_the_admin(staff_client):
    customer = CustomerFactory(email="ada@example.com", email_opt_in=True, timezone="UTC")
    clock.advance(timedelta(hours=12) - timedelta(hours=clock.now().hour))
    delivery = queue_email(template="welcome", customer=customer)
    deliver(delivery.pk)
    page = staff_client.get(reverse("admin:marketing_emaildelivery_changelist"))
    assert "1</strong> sent" in page.content.decode()
    detail = staff_client.get(reverse("admin:marketing_emaildelivery_change", args=[delivery.pk]))
    assert 'title="HTML preview"' in detail.content.decode()
    response = staff_client.post(
        reverse("admin:marketing_suppression_add"),
        {"email": "Bram@Example.com", "scope": "all", "category": "", "reason": "asked by phone"},
    )
    assert response.status_code == 302
    assert Suppression.objects.get(email="bram@example.com").reason == "asked by phone"


def test_delivery_rate():
    customer = CustomerFactory(email="ada@example.com")
    now = clock.now()
    for n in range(4):
        delivery = queue_email(template="order-confirmation", customer=customer,
                               variables={"order": {}})  # fmt: skip
        EmailDelivery.objects.filter(pk=delivery.pk).update(status="sent", sent_at=now,
                                                            esp_message_id=f"esp-{n}")  # fmt: skip
    for n, event in enumerate(["delivered", "delivered", "delivered", "bounced"]):
        apply_esp_event(event_type=event, delivery_id=None, esp_message_id=f"esp-{n}",
                        recipient=None)  # fmt: skip
    rate = delivery_rate(timedelta(hours=1))
    assert (rate.sent, rate.delivered, rate.bounced, rate.rate) == (4, 3, 1, 0.75)
    assert delivery_rate(timedelta(hours=1), now=now + timedelta(hours=2)).rate is None


def test_the_preview_iframe_holds_the_whole_message_escaped(staff_client):
    template = EmailTemplate.objects.get(slug="welcome")
    page = staff_client.get(reverse("admin:marketing_emailtemplate_change", args=[template.pk]))
    text = page.content.decode()
    start = text.index('srcdoc="') + len('srcdoc="')
    srcdoc = text[start : text.index('"', start)]
    assert srcdoc.startswith("&lt;!DOCTYPE html&gt;") and srcdoc.rstrip().endswith("&lt;/html&gt;")
