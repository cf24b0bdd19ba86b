"""Email delivery end to end: the email.send job through anymail's test backend,
consent and suppression, smart sending, quiet hours, unsubscribe, tracking, webhooks."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client

from analytics.models import Event
from benchbarrier import clock
from benchbarrier.models import SpendEntry
from jobs.models import Job, JobStatus
from marketing.email.services import queue_email
from marketing.models import DeliveryStatus, EmailDelivery, Suppression, SuppressionScope
from tests.conftest import run_due_jobs
from tests.marketing.factories import CustomerFactory

pytestmark = pytest.mark.django_db

CART = {
    "cart": {
        "items": [
            {"name": "Trail shoes <b>pro</b>", "quantity": 1, "price": "119.00"},
            {"name": "Socks", "quantity": 2, "price": "24.00"},
        ],
        "total": "167.00",
        "currency": "EUR",
        "url": "https://shop.example.com/cart/abc",
    }
}
NOON_UTC = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _email(settings):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    settings.SITE_URL = "https://ops.example.com"
    mail.outbox = []
    clock.advance(NOON_UTC - clock.now())  # midday UTC: outside quiet hours in Paris


@pytest.fixture
def ada():
    return CustomerFactory(email="ada@example.com", name="Ada Moreau", email_opt_in=True,
                           timezone="Europe/Paris")  # fmt: skip


def run_jobs() -> None:
    run_due_jobs()


def send(template: str = "abandoned-cart-reminder", **kwargs) -> EmailDelivery:
    kwargs.setdefault("variables", CART)
    delivery = queue_email(template=template, **kwargs)
    run_jobs()
    delivery.refresh_from_db()
    return delivery


def test_one_message_with_both_bodies_headers_and_tracked_links(
    ada, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        delivery = send(customer=ada)
    assert delivery.status == DeliveryStatus.SENT, delivery.reason
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ada@example.com"]
    assert message.subject == "Ada, your cart is waiting"
    html = message.alternatives[0][0]
    assert "Trail shoes &lt;b&gt;pro&lt;/b&gt;" in html  # values are escaped
    assert "Socks" in html and "\u00d7 2" in html  # the loop over cart items
    assert "Trail shoes <b>pro</b>" in message.body  # the text body, unescaped
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.extra_headers["List-Unsubscribe"].startswith(
        "<https://ops.example.com/email/unsubscribe/"
    )
    assert "https://shop.example.com/cart/abc" not in html  # links go through our redirect
    assert re.search(r'href="https://ops.example.com/email/c/[^"]+"', html)
    assert "/email/o/" in html  # the open pixel
    assert delivery.links == ["https://shop.example.com/cart/abc"]
    assert delivery.esp_message_id and delivery.sent_at
    entry = SpendEntry.objects.get(service="email")
    assert entry.cost == Decimal("0.001") and entry.reference == f"delivery {delivery.pk}"
    assert Event.objects.filter(event_name="email.sent", user_id=ada.external_id).exists()
    ada.refresh_from_db()
    assert ada.emails_sent == 1


def test_a_retried_job_does_not_send_again(ada):
    delivery = send(customer=ada)
    job = Job.objects.get(job_type="email.send")
    Job.objects.filter(pk=job.pk).update(status=JobStatus.PENDING, scheduled_for=clock.now())
    run_jobs()
    assert len(mail.outbox) == 1
    # a row left "sending" with no record of its batch: nothing says whether it left
    EmailDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.SENDING, sender="")
    Job.objects.filter(pk=job.pk).update(status=JobStatus.PENDING, scheduled_for=clock.now())
    run_jobs()
    assert len(mail.outbox) == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.reason.startswith("outcome unknown")


def test_a_batch_whose_worker_died_is_settled_one_message_at_most_unconfirmed(ada):
    """The worker handed two messages to the ESP and died before the third: the first
    was sent, the second probably (counted as sent, unconfirmed), the third goes now."""
    from marketing.email.sending import deliver_many

    others = [CustomerFactory(email=f"p{n}@example.com", email_opt_in=True) for n in range(2)]
    first, second, third = (
        queue_email(template="welcome", customer=c, idempotency_key=f"k{n}")
        for n, c in enumerate([ada, *others])
    )
    handed = clock.now() - timedelta(minutes=5)
    for delivery, at in ((first, handed), (second, handed + timedelta(seconds=1)), (third, None)):
        EmailDelivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.SENDING, sender="dead-batch", handed_at=at
        )
    assert deliver_many([first.pk, second.pk, third.pk]) == {}
    deliver_many([first.pk, second.pk, third.pk])  # a second look changes nothing
    assert [m.to for m in mail.outbox] == [[third.to_email]], "only the third goes now"
    rows = {d.pk: d for d in EmailDelivery.objects.all()}
    assert rows[first.pk].status == rows[second.pk].status == rows[third.pk].status == "sent"
    assert (rows[first.pk].reason, rows[first.pk].sent_at) == ("", handed)
    assert rows[second.pk].reason.startswith("unconfirmed")
    assert SpendEntry.objects.filter(service="email").count() == 3
    assert Event.objects.filter(event_name="email.sent").count() == 3


@pytest.mark.parametrize("durable", [True, False])
def test_a_batch_taken_over_by_another_worker_is_not_sent_by_both(ada, settings, durable):
    """A slow worker whose rows were settled by another (its lease ran out) skips them,
    whether hand-overs are written to disk first or a moment later."""
    from marketing.email import handover

    settings.EMAIL_HANDOVER_DURABLE = durable

    delivery = queue_email(template="welcome", customer=ada)
    EmailDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.SENDING, sender="slow-batch"
    )
    run_jobs()  # the retried job settles the row (never handed over: sent now)
    assert len(mail.outbox) == 1
    assert handover.hand_over(delivery, "slow-batch") is False, "the slow one must not send"
    EmailDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.SENDING)
    assert handover.hand_over(delivery, "slow-batch") is False, "nor once it is another's"
    assert handover.hand_over(delivery, EmailDelivery.objects.get().sender) is True


def test_the_same_idempotency_key_is_one_delivery(ada):
    first = queue_email(template="welcome", customer=ada, idempotency_key="wf1:step0")
    again = queue_email(template="welcome", customer=ada, idempotency_key="wf1:step0")
    assert first.pk == again.pk
    run_jobs()
    assert len(mail.outbox) == 1


def test_a_missing_variable_fails_the_job_and_sends_nothing(ada):
    variables = {"cart": {**CART["cart"]}}
    del variables["cart"]["total"]
    delivery = send(customer=ada, variables=variables)
    assert mail.outbox == []
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.reason == (
        'template "abandoned-cart-reminder" needs the variable "cart.total", which was not given'
    )
    job = Job.objects.get(job_type="email.send")
    assert job.status == JobStatus.FAILED and "cart.total" in job.error_message


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        (lambda c: setattr(c, "email_opt_in", False), "no email opt-in"),
        (lambda c: Suppression.objects.create(email=c.email, scope="all", reason="hard bounce"),
         "suppressed: hard bounce"),
        (lambda c: Suppression.objects.create(email=c.email, scope="marketing",
                                              reason="one-click unsubscribe"),
         "unsubscribed: one-click unsubscribe"),
        (lambda c: Suppression.objects.create(email=c.email, scope="category",
                                              category="cart-reminders", reason="x"),
         'unsubscribed from "cart-reminders"'),
    ],
)  # fmt: skip
def test_consent_and_suppression_skip_marketing_with_the_reason(ada, setup, reason):
    setup(ada)
    ada.save()
    delivery = send(customer=ada)
    assert delivery.status == DeliveryStatus.SKIPPED
    assert delivery.reason == reason
    assert mail.outbox == []


def test_transactional_mail_ignores_opt_in_but_not_suppression(ada):
    order = {"order": {"orderId": "BB-1", "items": [], "total": "10.00", "currency": "EUR",
                       "url": "https://shop.example.com/o/1"}}  # fmt: skip
    ada.email_opt_in = False
    ada.save()
    Suppression.objects.create(email=ada.email, scope="marketing", reason="unsubscribed")
    sent = send("order-confirmation", customer=ada, variables=order)
    assert sent.status == DeliveryStatus.SENT
    assert "List-Unsubscribe" not in mail.outbox[0].extra_headers
    Suppression.objects.create(email=ada.email, scope="all", reason="complaint")
    blocked = send("order-confirmation", customer=ada, variables=order)
    assert (blocked.status, blocked.reason) == (DeliveryStatus.SKIPPED, "suppressed: complaint")


def test_smart_sending_skips_a_second_marketing_email(ada):
    assert send(customer=ada).status == DeliveryStatus.SENT
    clock.advance(timedelta(hours=2))
    second = send("welcome", customer=ada, variables={})
    assert second.status == DeliveryStatus.SKIPPED
    assert (
        second.reason == 'smart sending: "abandoned-cart-reminder" went to this address 2.0 h ago'
    )
    clock.advance(timedelta(hours=17))  # 16 h window over, and 08:00 in Paris
    assert send("welcome", customer=ada, variables={}).status == DeliveryStatus.SENT


def test_quiet_hours_defer_to_the_morning_in_the_customers_time_zone(ada):
    clock.advance(datetime(2026, 11, 25, 22, 30, tzinfo=UTC) - clock.now())  # 23:30 in Paris
    delivery = send(customer=ada)
    assert delivery.status == DeliveryStatus.DEFERRED
    assert delivery.reason == "quiet hours in Europe/Paris"
    later = Job.objects.filter(job_type="email.send", status=JobStatus.PENDING).get()
    assert later.scheduled_for == datetime(2026, 11, 26, 7, 0, tzinfo=UTC)  # 08:00 Paris
    assert mail.outbox == []
    clock.advance(timedelta(hours=9))
    run_jobs()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and len(mail.outbox) == 1


def _unsubscribe_path(message) -> str:
    return (
        message.extra_headers["List-Unsubscribe"]
        .strip("<>")
        .removeprefix("https://ops.example.com")
    )


def test_one_click_unsubscribe_needs_no_session_or_csrf_and_is_idempotent(ada):
    send(customer=ada)
    path = _unsubscribe_path(mail.outbox[0])
    browserless = Client(enforce_csrf_checks=True)
    for _ in range(2):
        response = browserless.post(path, {"List-Unsubscribe": "One-Click"})
        assert response.status_code == 200
    assert (
        Suppression.objects.filter(email=ada.email, scope=SuppressionScope.MARKETING).count() == 1
    )
    assert not browserless.cookies


def test_tampered_or_expired_unsubscribe_links_are_refused(ada, settings):
    send(customer=ada)
    path = _unsubscribe_path(mail.outbox[0])
    tampered = Client().post(path[:-3] + "abc", {"List-Unsubscribe": "One-Click"})
    assert tampered.status_code == 400
    settings.EMAIL_UNSUBSCRIBE_LINK_DAYS = 0
    clock.advance(timedelta(seconds=2))
    expired = Client().post(path, {"List-Unsubscribe": "One-Click"})
    assert expired.status_code == 400
    assert b"expired" in expired.content
    assert not Suppression.objects.exists()


def test_the_preference_centre(ada):
    send(customer=ada)
    path = _unsubscribe_path(mail.outbox[0])
    page = Client().get(path)
    assert b"Email preferences for ada@example.com" in page.content
    assert b'value="cart-reminders"' in page.content
    saved = Client().post(path, {"mute": ["cart-reminders", "offers"]})
    assert b"Saved." in saved.content
    muted = set(Suppression.objects.filter(scope="category").values_list("category", flat=True))
    assert muted == {"cart-reminders", "offers"}
    Client().post(path, {"all": "1"})
    assert Suppression.objects.filter(scope="marketing").exists()


def test_open_pixel_and_click_redirect(ada):
    delivery = send(customer=ada)
    html = mail.outbox[0].alternatives[0][0]
    pixel = re.search(r'src="https://ops.example.com(/email/o/[^"]+)"', html).group(1)
    link = re.search(r'href="https://ops.example.com(/email/c/[^"]+)"', html).group(1)
    assert Client().get(pixel)["Content-Type"] == "image/gif"
    response = Client().get(link)
    run_jobs()  # the bus delivers email.opened / email.clicked to the customer's stats
    assert response.status_code == 302
    assert response["Location"] == "https://shop.example.com/cart/abc"
    delivery.refresh_from_db()
    assert delivery.opened_at and delivery.clicked_at
    names = set(Event.objects.values_list("event_name", flat=True))
    assert {"email.opened", "email.clicked"} <= names
    ada.refresh_from_db()
    assert ada.email_engagement == 1.0


def test_the_click_redirect_only_goes_to_links_of_that_message(ada):
    from marketing.email import tokens

    delivery = send(customer=ada)
    outside = tokens.make(tokens.CLICK, delivery.pk, 7)
    assert Client().get(f"/email/c/{outside}").status_code == 404
    forged = tokens.make("another.salt", delivery.pk, 0)
    assert Client().get(f"/email/c/{forged}").status_code == 404


def test_links_in_mail_sent_before_the_token_format_changed_still_work(ada, settings):
    """Older mail carries django.core.signing tokens; a rotated key keeps links alive."""
    from django.core import signing

    from marketing.email import tokens

    delivery = send(customer=ada)
    old = signing.dumps([delivery.pk, 0], salt=tokens.CLICK)
    assert Client().get(f"/email/c/{old}").status_code == 302
    current = tokens.make(tokens.CLICK, delivery.pk, 0)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-" + "x" * 40
    assert Client().get(f"/email/c/{current}").status_code == 302
    settings.SECRET_KEY_FALLBACKS = []
    assert Client().get(f"/email/c/{current}").status_code == 404


MAILGUN_KEY = "key-webhook-test"


def mailgun_event(event: str, delivery: EmailDelivery, **extra) -> dict:
    timestamp, token = str(int(time.time())), "a" * 50
    signature = hmac.new(MAILGUN_KEY.encode(), f"{timestamp}{token}".encode(), hashlib.sha256)
    return {
        "signature": {"timestamp": timestamp, "token": token, "signature": signature.hexdigest()},
        "event-data": {
            "event": event,
            "timestamp": time.time(),
            "id": "evt-1",
            "recipient": delivery.to_email,
            "message": {"headers": {"message-id": delivery.esp_message_id}},
            "user-variables": {"delivery_id": str(delivery.pk)},
            **extra,
        },
    }


@pytest.fixture
def mailgun(settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": "esp:s3cret", "MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_KEY}
    return Client(HTTP_AUTHORIZATION="Basic ZXNwOnMzY3JldA==")  # esp:s3cret


def test_signed_esp_webhooks_update_the_delivery_and_suppression(ada, mailgun):
    delivery = send(customer=ada)
    url = "/anymail/mailgun/tracking/"
    delivered = mailgun.post(
        url, mailgun_event("delivered", delivery), content_type="application/json"
    )
    assert delivered.status_code == 200
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.delivered_at
    bounce = mailgun_event("failed", delivery, severity="permanent",
                           **{"delivery-status": {"description": "mailbox unknown"}})  # fmt: skip
    assert mailgun.post(url, bounce, content_type="application/json").status_code == 200
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.BOUNCED
    suppression = Suppression.objects.get(email=ada.email)
    assert suppression.scope == "all" and suppression.reason.startswith("hard bounce")
    complaint = mailgun_event("complained", delivery)
    assert mailgun.post(url, complaint, content_type="application/json").status_code == 200
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.COMPLAINED and delivery.complained_at


def test_unauthenticated_webhooks_are_refused_and_change_nothing(ada, mailgun):
    delivery = send(customer=ada)
    url = "/anymail/mailgun/tracking/"
    body = mailgun_event("complained", delivery)
    no_auth = Client().post(url, body, content_type="application/json")
    assert no_auth.status_code == 401
    body["signature"]["signature"] = "0" * 64
    bad_signature = mailgun.post(url, body, content_type="application/json")
    assert bad_signature.status_code == 403
    assert not Suppression.objects.exists()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert json.loads(json.dumps(body))  # the body itself was well formed


def test_esp_webhooks_fail_closed_without_a_secret_and_a_wrong_password_is_401(ada, settings):
    from django.core.checks import run_checks

    delivery = send(customer=ada)
    url = "/anymail/mailgun/tracking/"
    settings.ANYMAIL = {}  # the default: no secret, no signing key
    settings.EMAIL_BACKEND = "anymail.backends.mailgun.EmailBackend"
    forged = Client().post(url, mailgun_event("failed", delivery, severity="permanent"),
                           content_type="application/json")  # fmt: skip
    assert forged.status_code == 403 and b"ANYMAIL_WEBHOOK_SECRET" in forged.content
    assert not Suppression.objects.exists()  # nobody can suppress an address anonymously
    warnings = [m.id for m in run_checks(include_deployment_checks=True)]
    assert "marketing.W001" in warnings
    settings.ANYMAIL = {"WEBHOOK_SECRET": "esp:s3cret", "MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_KEY}
    wrong = Client(HTTP_AUTHORIZATION="Basic ZXNwOndyb25n").post(  # esp:wrong
        url, mailgun_event("failed", delivery), content_type="application/json")  # fmt: skip
    assert wrong.status_code == 401 and wrong["WWW-Authenticate"].startswith("Basic")
    assert "marketing.W001" not in [m.id for m in run_checks(include_deployment_checks=True)]


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(document.cookie)",
        " JaVaScRiPt:alert(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "vbscript:msgbox(1)",
    ],
)
def test_only_web_mail_and_phone_links_are_rendered(url):
    from marketing.email.rendering import drop_unsafe_links

    html = (f'<p><a href="{url}">Open your cart</a> <a href="https://shop.example/c">ok</a> '
            '<a href="mailto:help@shop.example">mail</a> <a href="tel:+15550100">call</a></p>')  # fmt: skip
    kept, dropped = drop_unsafe_links(html)
    assert dropped == (url,)
    assert "script:" not in kept.lower() and "data:" not in kept
    assert kept.count("href=") == 3 and "<a>Open your cart</a>" in kept  # the text stays


def test_a_javascript_url_from_an_event_never_reaches_the_email(ada, caplog):
    from marketing.models import EmailTemplate

    EmailTemplate.objects.create(
        slug="cart-link", name="Cart link", subject="Your cart",
        html_body='<a href="{{ cart.url }}">Back to your cart</a>', text_body="{{ cart.url }}")  # fmt: skip
    delivery = send("cart-link", customer=ada, variables={"cart": {"url": "javascript:alert(1)"}})
    html = mail.outbox[-1].alternatives[0][0]
    assert "javascript:" not in html and "Back to your cart" in html
    assert f"delivery {delivery.pk}: link 'javascript:alert(1)' dropped" in caplog.text


def test_a_send_run_twice_is_one_email_and_one_event(ada):
    from tests.at_least_once import run_twice

    queue_email(template="win-back-1", customer=ada, kind="transactional")

    run_twice("email.send")

    assert len(mail.outbox) == 1
    assert Event.objects.filter(event_name="email.sent").count() == 1
    assert EmailDelivery.objects.get().status == DeliveryStatus.SENT


def test_a_spent_hard_stop_budget_holds_marketing_email_but_not_receipts(settings):
    from benchbarrier.models import Budget, BudgetMode

    settings.EMAIL_PRICE_PER_MESSAGE = "0.01"
    Budget.objects.filter(service="email").update(mode=BudgetMode.HARD_STOP,
                                                  monthly_limit=Decimal("0.02"))  # fmt: skip
    readers = [CustomerFactory(email=f"r{n}@example.com", email_opt_in=True) for n in range(3)]
    news = [queue_email(template="win-back-1", customer=reader) for reader in readers]
    receipt = queue_email(template="win-back-1", customer=readers[0], kind="transactional")
    run_jobs()

    statuses = [EmailDelivery.objects.get(pk=d.pk).status for d in [*news, receipt]]
    assert statuses == ["sent", "sent", "skipped", "sent"]
    held = EmailDelivery.objects.get(pk=news[2].pk)
    assert held.reason.startswith("budget spent: The monthly email budget of 0.02 USD is spent")
    assert len(mail.outbox) == 3
