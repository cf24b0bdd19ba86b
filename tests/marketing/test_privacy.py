"""The GDPR rights end to end: a person known to every app is exported and then erased
through the API; afterwards no table holds anything that names them, every figure is as it
was, and their address cannot be mailed again. Erasure is refused for the unknown and the
erased; the admin erases after a confirmation."""

from __future__ import annotations

import json

import pytest
from django.apps import apps

from ai_content.models import AIGeneration
from analytics.services import record_events
from benchbarrier.models import AuditLogEntry
from benchbarrier.services.audit import Actor, record_audit
from chatbot.models import BotConversation
from marketing.email.services import queue_email
from marketing.models import (
    Customer,
    EmailDelivery,
    PushSubscription,
    Segment,
    SmsMessage,
    SmsOptOut,
    Suppression,
)
from tests.analytics.test_exports import download_zip
from tests.analytics.test_metrics import event
from tests.conftest import run_due_jobs
from workflows.models import Workflow, WorkflowExecution

pytestmark = pytest.mark.django_db

ADA = {"external_id": "ada-7781", "email": "ada.lovelace@example.com", "name": "Ada Lovelace",
       "phone": "+4915112345678"}  # fmt: skip
TRACES = [*ADA.values(), "Lovelace", "Analytical Engine Street 1"]


def everything_about_ada() -> Customer:
    ada = Customer.objects.create(**ADA, email_opt_in=True, traits={"shoeSize": 38})
    Customer.objects.create(external_id="bob", email="bob@example.com", name="Bob")
    record_events([
        event("user.created", "2026-10-01", "ada-7781", "s-ada"),
        event("order.completed", "2026-10-02", "ada-7781", "s-ada", orderId="A1",
              total="120.00", currency="USD", email="ada.lovelace@example.com",
              shippingAddress="Analytical Engine Street 1"),
        event("order.completed", "2026-10-03", "bob", "s-bob", orderId="B1", total="30"),
    ])  # fmt: skip
    Segment.objects.create(name="Fans", kind="static", member_count=1).memberships.create(
        customer=ada
    )
    queue_email(template="win-back-1", customer=ada, kind="transactional",
                variables={"firstName": "Ada"})  # fmt: skip
    Suppression.objects.create(email=ADA["email"], scope="marketing", reason="unsubscribe link")
    SmsMessage.objects.create(to_number=ADA["phone"], customer=ada, idempotency_key="sms1",
                              body="Hi Ada Lovelace, your order shipped")  # fmt: skip
    SmsOptOut.objects.create(number=ADA["phone"], keyword="STOP")
    PushSubscription.objects.create(customer=ada, endpoint="https://push.example/ada-7781",
                                    p256dh="k", auth="a")  # fmt: skip
    chat = BotConversation.objects.create(user_id="ada-7781", customer=ada)
    chat.messages.create(sender_type="user", content="I am Ada Lovelace, where is A1?",
                         intent="order_status")  # fmt: skip
    WorkflowExecution.objects.create(
        workflow=Workflow.objects.first(), definition=[], user_id="ada-7781",
        context={"trigger": {"email": ADA["email"], "name": ADA["name"]}})  # fmt: skip
    AIGeneration.objects.create(input_prompt=f"Write to {ADA['email']}", content="Dear Ada",
                                model="m", temperature=0.5, max_tokens=10, cost="0.01")  # fmt: skip
    record_audit(action="customer.updated", target=ada, actor=Actor.system("tests"),
                 changes={"email": ADA["email"], "name": ADA["name"]})  # fmt: skip
    return ada


def traces_left() -> list[str]:
    """Every row of every table that still names Ada."""
    found = []
    for model in apps.get_models():
        for row in model.objects.values():
            text = json.dumps(row, default=str)
            found += [f"{model.__name__}: {t}" for t in TRACES if t in text]
    return found


def figures(api) -> dict:
    revenue = api.get("/api/analytics/query", {"metrics": "revenue,orders,customer_count,conversion_rate,ltv",
                                               "start": "2026-10-01", "end": "2026-10-31"})  # fmt: skip
    return {"query": revenue.json()["rows"], "customers": Customer.objects.count(),
            "spent": [c.total_spent for c in Customer.objects.order_by("pk")],
            "deliveries": EmailDelivery.objects.count(), "chat": list(
                BotConversation.objects.values_list("messages__intent", flat=True))}  # fmt: skip


def test_a_person_is_exported_then_erased_everywhere_and_every_figure_stays(
    key_client, client, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    everything_about_ada()
    api, analytics = key_client("marketing"), key_client("analytics")
    exported = api.post("/api/marketing/customers/ada-7781/export")
    assert exported.status_code == 202
    run_due_jobs()
    job = exported.json()["jobId"]
    archive = download_zip(client, __import__("jobs.models").models.Job.objects.get(pk=job))
    for name in ("customer", "events", "conversations", "workflow_runs", "sms_messages"):
        assert "ada" in archive.read(f"{name}.json").decode().lower(), name
    before = figures(analytics)
    assert traces_left()

    erased = api.delete("/api/marketing/customers/ada-7781")

    assert erased.status_code == 200, erased.json()
    body = erased.json()
    assert body["reference"].startswith("erased-")
    kept = apps.get_model("analytics", "Event").objects.filter(user_id=body["reference"])
    assert sorted(kept.values_list("event_name", flat=True)) == [
        "email.sent", "order.completed", "user.created"]  # fmt: skip
    assert kept.get(event_name="order.completed").properties == {
        "orderId": "A1", "total": "120.00", "currency": "USD"}  # fmt: skip
    assert body["erased"]["marketing"]["segmentMemberships"] == 1
    assert traces_left() == []
    assert figures(analytics) == before
    assert Segment.objects.get(name="Fans").member_count == 0
    assert not PushSubscription.objects.exists() and not SmsOptOut.objects.exists()
    assert Suppression.objects.get().email.endswith("@erased.invalid")
    audit = AuditLogEntry.objects.get(action="customer.erased")
    assert audit.changes["reference"] == body["reference"]
    assert api.delete("/api/marketing/customers/ada-7781").status_code == 404  # done already


def test_an_erased_address_is_never_mailed_again(settings, email_at_noon):
    from django.core import mail

    ada = everything_about_ada()
    from marketing.services.privacy import erase_customer

    erase_customer(customer=ada, actor=Actor.system("tests"))
    run_due_jobs()
    mail.outbox = []
    again = Customer.objects.create(email=ADA["email"], email_opt_in=True)  # an old list
    delivery = queue_email(template="win-back-1", customer=again)
    run_due_jobs()

    delivery.refresh_from_db()
    assert mail.outbox == []
    assert delivery.status == "skipped"
    assert delivery.reason == "suppressed: their data was erased on request"


def test_nothing_held_is_a_404_naming_the_id(key_client):
    answer = key_client("marketing").delete("/api/marketing/customers/nobody.42")

    assert answer.status_code == 404
    assert answer.json()["message"] == 'nothing is held about the user id "nobody.42"'
    assert key_client("marketing").post("/api/marketing/customers/nobody.42/export"
                                        ).status_code == 404  # fmt: skip


def test_data_held_without_a_customer_row_is_erased_too(key_client):
    record_events([event("page.viewed", "2026-10-02", "ghost-1", "s9", email="g@example.com")])

    answer = key_client("marketing").delete("/api/marketing/customers/ghost-1")

    assert answer.status_code == 200
    assert answer.json()["erased"]["analytics"] == {"events": 1}
    assert "g@example.com" not in json.dumps(list(
        apps.get_model("analytics", "Event").objects.values()), default=str)  # fmt: skip


def test_the_admin_erases_after_saying_what_goes(staff_client):
    ada = everything_about_ada()
    only_email = Customer.objects.create(email="carol@example.com", name="Carol")
    selected = {"action": "erase_personal_data", "_selected_action": [ada.pk, only_email.pk]}

    asked = staff_client.post("/admin/marketing/customer/", selected)
    assert asked.status_code == 200
    assert b"Erasing cannot be undone" in asked.content
    assert Customer.objects.get(pk=ada.pk).erased_at is None
    done = staff_client.post("/admin/marketing/customer/", selected | {"confirmed": "yes"},
                             follow=True)  # fmt: skip

    assert "2 customer(s) erased" in done.content.decode()
    assert traces_left() == []
    assert Customer.objects.get(pk=only_email.pk).email is None
    erased_list = staff_client.get("/admin/marketing/customer/", {"erased_at__isempty": "0"})
    shown = erased_list.context["cl"].result_list
    assert sorted(c.pk for c in shown) == [ada.pk, only_email.pk]
