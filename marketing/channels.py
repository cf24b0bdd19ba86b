"""Marketing's channels in the kernel's registry (`benchbarrier.channels`): email, SMS
and web push.

A channel says who can receive it (consent and an address), how a campaign's message to
one customer is rendered and recorded, how a batch is sent (its job type and function),
what a message costs (its service in the spend ledger), which provider webhooks report
its delivery, and how a message's status reads as a campaign send's. Campaigns and
their admin use this registry instead of naming channels. Email keeps its own bulk
campaign path (deliveries written with COPY, decided in bulk); it is registered for the
rest of the shape.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from benchbarrier.channels import Channel, get, names, register
from marketing.models import Customer

__all__ = ["Channel", "get", "names", "register"]


# --- the channels ------------------------------------------------------------------------

SENT_OUTCOMES = {"sent": "sent", "delivered": "sent", "undelivered": "sent",
                 "skipped": "skipped", "failed": "failed"}  # fmt: skip


def _email_reachable(people: QuerySet[Customer]) -> QuerySet[Customer]:
    from marketing.email.models import Suppression

    blocked = Suppression.objects.filter(email=OuterRef("email"), scope__in=["all", "marketing"])
    return people.filter(email_opt_in=True).exclude(email="").exclude(Exists(blocked))


def _send_email(ids: list[int]) -> dict[int, Exception]:
    from marketing.email.sending import deliver_many

    return deliver_many(ids)


def _sms_reachable(people: QuerySet[Customer]) -> QuerySet[Customer]:
    from marketing.sms.models import SmsOptOut

    return people.filter(sms_opt_in=True, phone__regex=E164).exclude(
        phone__in=SmsOptOut.objects.values("number")
    )


E164 = r"^\+[1-9][0-9]{6,14}$"


def _send_sms(ids: list[int]) -> dict[int, Exception]:
    from marketing.sms.sending import deliver_sms

    return deliver_sms(ids)


def _record_sms(campaign: Any, customer: Customer, key: str) -> int:
    from marketing.sms.services import record_sms

    return record_sms(text=campaign.text, customer=customer, variables=campaign.variables,
                      idempotency_key=key, source=f"campaign {campaign.pk}").pk  # fmt: skip


def _sms_problems(campaign: Any) -> list[tuple[str, str]]:
    from marketing.sms.services import text_problem

    problem = text_problem(campaign.text)
    return [("text", problem)] if problem else []


def _push_reachable(people: QuerySet[Customer]) -> QuerySet[Customer]:
    from marketing.push.models import PushSubscription

    return people.filter(Exists(PushSubscription.objects.filter(customer=OuterRef("pk"))))


def _send_push(ids: list[int]) -> dict[int, Exception]:
    from marketing.push.sending import deliver_push

    return deliver_push(ids)


def _record_push(campaign: Any, customer: Customer, key: str) -> int:
    from marketing.push.services import queue_push
    from marketing.sms.services import render_text

    context = {**campaign.variables,
               "customer": {"first_name": customer.first_name, "name": customer.name}}  # fmt: skip
    return queue_push(
        customer=customer, title=render_text(campaign.subject, context),
        body=render_text(campaign.text, context) if campaign.text else "",
        url=campaign.link, idempotency_key=key, source=f"campaign {campaign.pk}",
        job=False,
    ).pk  # fmt: skip


def _push_problems(campaign: Any) -> list[tuple[str, str]]:
    from marketing.sms.services import text_problem

    problems = []
    if not campaign.subject or text_problem(campaign.subject):
        problems.append(("subject", "a push notification's title"))
    if campaign.text and text_problem(campaign.text):
        problems.append(("text", text_problem(campaign.text)))
    return problems


register(Channel(
    name="email", label="email", message_field="delivery", spend_service="email",
    job_type="email.send", reachable=_email_reachable, send=_send_email,
    outcomes={**SENT_OUTCOMES, "bounced": "sent", "complained": "sent"},
    webhooks=("/anymail/<esp>/tracking/",),
))  # fmt: skip
register(Channel(
    name="sms", label="SMS", message_field="sms_message", spend_service="sms",
    job_type="sms.send", reachable=_sms_reachable, send=_send_sms, record=_record_sms,
    outcomes=SENT_OUTCOMES, webhooks=("/sms/twilio/status", "/sms/twilio/inbound"),
    problems=_sms_problems,
))  # fmt: skip
register(Channel(
    name="push", label="push", message_field="push_message", spend_service="push",
    job_type="push.send", reachable=_push_reachable, send=_send_push, record=_record_push,
    outcomes=SENT_OUTCOMES, problems=_push_problems,
))  # fmt: skip
