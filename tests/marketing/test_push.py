"""Web push: browsers subscribed through the API, notifications encrypted for each (the
fake push service decrypts them as a browser would), VAPID-signed, expired subscriptions
removed, clicks tracked, the SSRF guard, and the `sendPush` step."""

from __future__ import annotations

import base64
import json
import os
from typing import Any

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from analytics.models import Event
from benchbarrier.services.audit import Actor
from marketing.management.commands.push_vapid_keys import new_pair
from marketing.models import Customer, PushMessage, PushSubscription
from marketing.push import backends
from marketing.push.services import queue_push
from tests.conftest import run_due_jobs
from tests.local_server import JsonHandler, LocalServer
from workflows.services import save_workflow, start_execution

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("email_at_noon")]


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Browser:
    """A browser's push keys: what it gives the site, and what it decrypts with."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        public = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        self.keys = {"p256dh": b64(public), "auth": b64(self.auth)}

    def read(self, body: bytes) -> dict[str, Any]:
        return json.loads(http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth,
                                           version="aes128gcm"))  # fmt: skip


class FakePushService:
    """/live/... takes a message (201), /gone/... has forgotten the subscription (410)."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        fake = self

        class Handler(JsonHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                fake.received.append({"path": self.path, "body": body,
                                      "headers": {k.lower(): v for k, v in self.headers.items()}})  # fmt: skip
                self.send_response(201 if self.path.startswith("/live/") else 410)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self._server = LocalServer(Handler)
        self.url = self._server.url

    def close(self) -> None:
        self._server.close()


@pytest.fixture
def push_service(settings):
    fake = FakePushService()
    public, private = new_pair()
    settings.PUSH_BACKEND = "webpush"
    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY = public, private
    settings.VAPID_SUBJECT = "mailto:ops@example.com"
    settings.PUSH_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.SITE_URL = "https://ops.example.com"
    backends.backend.cache_clear()
    yield fake
    backends.backend.cache_clear()
    fake.close()


@pytest.fixture
def site(key_client):
    return key_client("marketing")


def subscribe(site, endpoint: str, browser: Browser, user: str = "ada"):
    return site.post("/api/marketing/push/subscriptions",
                     {"userId": user, "subscription": {"endpoint": endpoint, "keys": browser.keys},
                      "userAgent": "Firefox"}, format="json")  # fmt: skip


def test_the_site_subscribes_browsers_and_each_problem_is_named(site, push_service):
    Customer.objects.create(external_id="ada", name="Ada")
    browser = Browser()
    first = subscribe(site, f"{push_service.url}/live/1", browser)
    assert first.status_code == 201, first.json()
    assert subscribe(site, f"{push_service.url}/live/1", browser).status_code == 200
    assert PushSubscription.objects.count() == 1
    bad = site.post("/api/marketing/push/subscriptions",
                    {"userId": "ada", "subscription": {"endpoint": "http://push.example.com/x",
                     "keys": {"p256dh": "short", "auth": browser.keys["auth"]}}}, format="json")  # fmt: skip
    assert bad.status_code == 400
    fields = {error["field"] for error in bad.json()["errors"]}
    assert fields == {"subscription.endpoint", "subscription.keys.p256dh"}, bad.json()
    nobody = subscribe(site, f"{push_service.url}/live/2", browser, user="zed")
    assert nobody.status_code == 400 and nobody.json()["errors"][0]["field"] == "userId"
    key = site.get("/api/marketing/push/subscriptions/vapid-public-key").json()["publicKey"]
    assert len(base64.urlsafe_b64decode(key + "=")) == 65
    gone = site.post("/api/marketing/push/subscriptions/remove",
                     {"endpoint": f"{push_service.url}/live/1"}, format="json")  # fmt: skip
    assert gone.status_code == 204 and not PushSubscription.objects.exists()


def test_a_push_reaches_the_live_browser_and_the_expired_one_is_removed(site, client,
                                                                        push_service):  # fmt: skip
    ada = Customer.objects.create(external_id="ada", name="Ada")
    phone, laptop = Browser(), Browser()
    subscribe(site, f"{push_service.url}/live/phone", phone)
    subscribe(site, f"{push_service.url}/gone/laptop", laptop)
    message = queue_push(customer=ada, title="Your cart misses you", body="2 items left",
                         url="https://shop.example.com/cart", idempotency_key="p1")  # fmt: skip
    run_due_jobs()
    message.refresh_from_db()
    assert message.status == "sent"
    assert message.devices == {"sent": 1, "expired": 1, "failed": 0}
    assert [s.endpoint.rsplit("/", 1)[1] for s in PushSubscription.objects.all()] == ["phone"]
    live = next(r for r in push_service.received if r["path"] == "/live/phone")
    assert live["headers"]["content-encoding"] == "aes128gcm"
    assert live["headers"]["authorization"].startswith("vapid t=")
    shown = phone.read(live["body"])
    assert shown["title"] == "Your cart misses you" and shown["body"] == "2 items left"
    assert shown["url"].startswith("https://ops.example.com/p/")
    beacon = client.post(shown["shown"].removeprefix("https://ops.example.com"))
    assert beacon.status_code == 204
    client.post(shown["shown"].removeprefix("https://ops.example.com"))  # counted once
    assert Event.objects.filter(event_name="push.shown", user_id="ada").count() == 1
    clicked = client.get(shown["url"].removeprefix("https://ops.example.com"))
    assert clicked.status_code == 302 and clicked["Location"] == "https://shop.example.com/cart"
    assert Event.objects.filter(event_name="push.clicked", user_id="ada").count() == 1
    queue_push(customer=ada, title="again", idempotency_key="p1")
    run_due_jobs()
    assert len([r for r in push_service.received if r["path"] == "/live/phone"]) == 1


def test_a_push_service_on_a_private_address_is_never_called(push_service):
    ada = Customer.objects.create(external_id="ada", name="Ada")
    browser = Browser()
    PushSubscription.objects.create(customer=ada, endpoint="https://10.1.2.3/wpush/1",
                                    **browser.keys)  # fmt: skip
    message = queue_push(customer=ada, title="Hi", idempotency_key="p2")
    run_due_jobs()
    message.refresh_from_db()
    assert message.status == "failed" and message.devices["failed"] == 1


def test_no_subscription_skips_and_the_step_sends_once_per_run(site, push_service):
    ada = Customer.objects.create(external_id="ada", name="Ada Moreau")
    skipped = queue_push(customer=ada, title="Hi", idempotency_key="p3")
    run_due_jobs()
    skipped.refresh_from_db()
    assert skipped.status == "skipped" and skipped.reason == "no push subscription"
    browser = Browser()
    subscribe(site, f"{push_service.url}/live/1", browser)
    flow = save_workflow(
        actor=Actor.system("tests"), name="Push", trigger_type="webhook", trigger_config={},
        steps=[{"type": "sendPush", "title": "Hi {{ customer.first_name }}",
                "body": "Back in stock: {{ trigger.product }}", "url": "https://shop.example.com"}],
    )  # fmt: skip
    start_execution(flow, context={"product": "Trail shoes"}, user_id="ada")
    run_due_jobs()
    shown = browser.read(push_service.received[-1]["body"])
    assert (shown["title"], shown["body"]) == ("Hi Ada", "Back in stock: Trail shoes")
    assert PushMessage.objects.filter(status="sent").count() == 1


def test_a_push_campaign_reaches_the_subscribed_and_skips_the_rest(site, push_service):
    from marketing.campaigns import metrics
    from marketing.campaigns import services as campaigns
    from marketing.models import Campaign, CampaignSend, Segment, SegmentMember

    segment = Segment.objects.create(name="Fans", kind="static")
    ada = Customer.objects.create(external_id="ada", name="Ada Moreau")
    bo = Customer.objects.create(external_id="bo", name="Bo")
    SegmentMember.objects.bulk_create(
        [SegmentMember(segment=segment, customer=c) for c in (ada, bo)]
    )
    browser = Browser()
    subscribe(site, f"{push_service.url}/live/1", browser)
    campaign = campaigns.save_campaign(
        campaign=Campaign(name="Drop", type="push", segment=segment,
                          subject="{{ customer.first_name }}, it's here",
                          text="The autumn drop", link="https://shop.example.com/drop"),
        actor=Actor.system("tests"),
    )  # fmt: skip
    assert str(campaigns.audience.size_of(campaign)) == "2 in segment, 1 can receive push"
    campaigns.launch(campaign=campaign, actor=Actor.system("tests"))
    run_due_jobs()
    shown = browser.read(push_service.received[-1]["body"])
    assert (shown["title"], shown["body"]) == ("Ada, it's here", "The autumn drop")
    states = dict(CampaignSend.objects.values_list("customer__external_id", "status"))
    assert states == {"ada": "sent", "bo": "skipped"}
    assert PushMessage.objects.get(customer=bo).reason == "no push subscription"
    campaign.refresh_from_db()
    assert campaign.status == "sent" and metrics.refresh(campaign)["recipients"] == 1
    with pytest.raises(campaigns.CampaignError) as caught:
        campaigns.save_campaign(campaign=Campaign(name="x", type="push", segment=segment),
                                actor=Actor.system("tests"))  # fmt: skip
    assert caught.value.errors == [("subject", "a push notification's title")]


def test_two_pushes_in_one_batch_meet_an_expired_subscription_once(site, push_service):
    ada = Customer.objects.create(external_id="ada", name="Ada")
    subscribe(site, f"{push_service.url}/live/phone", Browser())
    subscribe(site, f"{push_service.url}/gone/laptop", Browser())
    first = queue_push(customer=ada, title="One", idempotency_key="b1")
    second = queue_push(customer=ada, title="Two", idempotency_key="b2")
    run_due_jobs()  # both jobs in one claim: the subscriptions are read once
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.devices == {"sent": 1, "expired": 1, "failed": 0}
    assert second.devices == {"sent": 1, "expired": 0, "failed": 0}
    assert len([r for r in push_service.received if r["path"] == "/gone/laptop"]) == 1


def test_a_push_run_twice_reaches_the_browser_once(site, push_service):
    from tests.at_least_once import run_twice

    ada = Customer.objects.create(external_id="ada", name="Ada")
    subscribe(site, f"{push_service.url}/live/phone", Browser())
    queue_push(customer=ada, title="Your cart misses you", idempotency_key="p1")

    run_twice("push.send")

    assert len(push_service.received) == 1
    assert Event.objects.filter(event_name="push.sent", user_id="ada").count() == 1
