"""Email delivery: queue deliveries and track what happens to them.

Sending itself is `marketing.email.sending`; this module queues deliveries
and records what happens to them afterwards (opens, clicks, unsubscribes, the ESP's
reports).
"""

from __future__ import annotations

import ipaddress
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from analytics.services import store_events
from analytics.validation import EventInput
from benchbarrier import clock, telemetry
from benchbarrier.rules import json_value
from benchbarrier.services.audit import Actor, record_audit
from jobs.services import enqueue
from marketing.message_events import message_event
from marketing.models import (
    Customer,
    DeliveryStatus,
    EmailDelivery,
    EmailKind,
    EmailTemplate,
    Suppression,
    SuppressionScope,
)


class EmailTemplateUnknown(ValueError):
    pass


def queue_email(
    *,
    template: str,
    variables: dict[str, Any] | None = None,
    customer: Customer | None = None,
    to: str | None = None,
    kind: str | None = None,
    source: str = "",
    idempotency_key: str | None = None,
    send_after: datetime | None = None,
    test: bool = False,
    subject: str = "",
    attachments: list[dict[str, str]] | None = None,
) -> EmailDelivery:
    """Record a delivery and queue its `email.send` job (in the caller's transaction).

    The same idempotency key returns the first delivery instead of a second one. A test
    (a staff member's "send a test to me") skips the consent rules, not suppression.
    """
    email_template = EmailTemplate.objects.filter(slug=template).first()
    if email_template is None:
        raise EmailTemplateUnknown(f'unknown template "{template}"')
    address = (to or (customer.email if customer else "") or "").strip().lower()
    if not address:
        raise ValueError("no address: give `to` or a customer with an email")
    key = idempotency_key or uuid.uuid4().hex
    with transaction.atomic():
        delivery, created = EmailDelivery.objects.get_or_create(
            idempotency_key=key,
            defaults={
                "to_email": address,
                "customer": customer,
                "template": email_template,
                "variables": variables or {},
                "kind": kind or email_template.kind,
                "source": source,
                "send_after": send_after,
                "is_test": test,
                "subject_override": subject,
                "attachments": attachments or [],
            },
        )
        if created:
            queue_send_job(delivery, send_after)
    return delivery


@dataclass(frozen=True)
class Message:
    """The seed's `email.send` payload: `{"to", "template", "variables"}`."""

    key: str  # idempotency key: the job's own
    to: str
    template: str
    variables: dict[str, Any]


def record_messages(messages: list[Message]) -> list[EmailDelivery]:
    """A delivery for each message (the one recorded before for the same key), in a
    fixed number of queries, without queueing a send: the caller sends them (the
    `email.send` batch that carried the messages). The customer is found by address,
    so consent and suppression apply as for every email."""
    keys = [m.key for m in messages]
    existing = {
        d.idempotency_key: d for d in EmailDelivery.objects.filter(idempotency_key__in=keys)
    }
    templates = {t.slug: t for t in EmailTemplate.objects.filter(
        slug__in={m.template for m in messages})}  # fmt: skip
    addresses = {m.to.strip().lower() for m in messages}
    customers = {c.email: c for c in Customer.objects.filter(email__in=addresses)}
    fresh = []
    for message in messages:
        if message.key in existing:
            continue
        template = templates.get(message.template)
        if template is None:
            raise EmailTemplateUnknown(f'unknown template "{message.template}"')
        address = message.to.strip().lower()
        fresh.append(EmailDelivery(
            to_email=address, customer=customers.get(address), template=template,
            variables=message.variables, kind=template.kind, idempotency_key=message.key,
            source="email.send job",
        ))  # fmt: skip
    EmailDelivery.objects.bulk_create(fresh)
    made = {d.idempotency_key: d for d in fresh}
    return [existing.get(m.key) or made[m.key] for m in messages]


def message_errors(payload: dict[str, Any]) -> list[tuple[str, str]]:
    """What is wrong with a seed-form `email.send` payload, by field, before it is
    queued: a template that does not exist, an address that is not one, a variable the
    template needs and the payload lacks."""
    if "deliveryId" in payload:
        return []
    errors: list[tuple[str, str]] = []
    try:
        validate_email(payload.get("to", ""))
    except ValidationError:
        errors.append(("to", "not an email address"))
    template = EmailTemplate.objects.filter(slug=payload.get("template")).first()
    if template is None:
        errors.append(("template", f'unknown template "{payload.get("template")}"'))
        return errors
    variables = payload.get("variables") or {}
    for path in template.variables:
        if json_value(variables, tuple(path.split("."))) is None:
            errors.append((f"variables.{path}", f'required by the template "{template.slug}"'))
    return errors


def queue_send_job(delivery: EmailDelivery, when: datetime | None) -> None:
    stamp = when.isoformat() if when else "now"
    enqueue(
        job_type="email.send",
        payload={"deliveryId": delivery.pk},
        scheduled_for=when,
        idempotency_key=f"email.send:{delivery.pk}:{stamp}",
    )


def email_event(delivery: EmailDelivery, name: str, properties: dict[str, Any]) -> EventInput:
    """`email.sent` / `email.opened` / `email.clicked` for the bus (one per delivery)."""
    return message_event(delivery, name, "deliveryId", properties)


def _emit(delivery: EmailDelivery, name: str, properties: dict[str, Any]) -> None:
    store_events([email_event(delivery, name, properties)])


# --- tracking and preferences --------------------------------------------------------


# Apple Mail Privacy Protection fetches every image of a message through Apple's own
# network (17.0.0.0/8) with a bare user agent, whether or not anyone reads it.
_APPLE_PROXY = ipaddress.ip_network("17.0.0.0/8")


def is_privacy_proxy(address: str, user_agent: str) -> bool:
    """Whether an open pixel was fetched by a mail privacy proxy, not a reader."""
    try:
        if ipaddress.ip_address(address) in _APPLE_PROXY:
            return True
    except ValueError:
        pass
    return user_agent.strip() == "Mozilla/5.0"


def record_open(delivery: EmailDelivery, *, proxy: bool = False) -> None:
    """First open stamps the delivery (flagged when a privacy proxy fetched it) and
    emits `email.opened` (later opens do not)."""
    updated = EmailDelivery.objects.filter(pk=delivery.pk, opened_at__isnull=True).update(
        opened_at=clock.now(), proxy_open=proxy
    )
    if updated:
        _emit(delivery, "email.opened", {"proxy": proxy})


def record_click(delivery: EmailDelivery, index: int) -> str:
    """The URL of link `index` in this message (IndexError if there is none); the first
    click stamps the delivery and emits `email.clicked`."""
    if not 0 <= index < len(delivery.links):
        raise IndexError(index)
    url = delivery.links[index]
    now = clock.now()
    bot = bool(
        delivery.sent_at
        and (now - delivery.sent_at).total_seconds() < settings.EMAIL_BOT_CLICK_SECONDS
    )
    updated = EmailDelivery.objects.filter(pk=delivery.pk, clicked_at__isnull=True).update(
        clicked_at=now, bot_click=bot
    )
    EmailDelivery.objects.filter(pk=delivery.pk, opened_at__isnull=True).update(opened_at=now)
    if updated:
        _emit(delivery, "email.clicked", {"url": url, "bot": bot})
    return url


def suppress(
    *,
    email: str,
    scope: str,
    reason: str,
    category: str = "",
    delivery: EmailDelivery | None = None,
    actor: Actor,
) -> Suppression:
    """Add (idempotently) a suppression and audit it."""
    suppression, created = Suppression.objects.get_or_create(
        email=email.lower(),
        scope=scope,
        category=category,
        defaults={"reason": reason, "delivery": delivery},
    )
    if created:
        record_audit(
            action="email.suppressed",
            target=suppression,
            changes={"email": suppression.email, "scope": scope, "category": category,
                     "reason": reason},
            actor=actor,
        )  # fmt: skip
    return suppression


def marketing_categories() -> list[str]:
    return sorted(
        set(
            EmailTemplate.objects.filter(kind=EmailKind.MARKETING).values_list(
                "category", flat=True
            )
        )
    )


def set_preferences(
    *, email: str, unsubscribe_all: bool, muted: list[str], delivery: EmailDelivery | None
) -> None:
    """The preference centre: all marketing off, or the chosen categories off (and the
    others back on)."""
    actor = Actor.system("email.preferences")
    with transaction.atomic():
        if unsubscribe_all:
            suppress(email=email, scope=SuppressionScope.MARKETING,
                     reason="unsubscribe page", delivery=delivery, actor=actor)  # fmt: skip
            return
        Suppression.objects.filter(email=email, scope=SuppressionScope.MARKETING).delete()
        Suppression.objects.filter(email=email, scope=SuppressionScope.CATEGORY).exclude(
            category__in=muted
        ).delete()
        for category in muted:
            suppress(email=email, scope=SuppressionScope.CATEGORY, category=category,
                     reason="preference centre", delivery=delivery, actor=actor)  # fmt: skip


# --- the ESP's side ------------------------------------------------------------------

_HARD = {"bounced", "rejected", "complained"}


def apply_esp_event(
    *,
    event_type: str,
    delivery_id: str | None,
    esp_message_id: str | None,
    recipient: str | None,
    description: str = "",
    click_url: str | None = None,
    esp_name: str = "",
) -> EmailDelivery | None:
    """Record what the ESP reports about a message. Bounces and complaints suppress all
    email to the address, an ESP unsubscribe suppresses marketing email. Returns the
    delivery it matched (by our metadata, else the ESP's message id), or None."""
    delivery = None
    if delivery_id and str(delivery_id).isdigit():
        delivery = EmailDelivery.objects.filter(pk=int(delivery_id)).first()
    if delivery is None and esp_message_id:
        delivery = EmailDelivery.objects.filter(esp_message_id=esp_message_id).first()
    address = (recipient or (delivery.to_email if delivery else "")).lower()
    now = clock.now()
    actor = Actor.system(f"esp webhook {esp_name}".strip())
    with transaction.atomic():
        if delivery is not None:
            _apply_to_delivery(delivery, event_type, now, click_url)
        if address and event_type in _HARD:
            reason = "complaint" if event_type == "complained" else "hard bounce"
            if description:
                reason = f"{reason}: {description}"[:200]
            suppress(email=address, scope=SuppressionScope.ALL, reason=reason,
                     delivery=delivery, actor=actor)  # fmt: skip
        elif address and event_type == "unsubscribed":
            suppress(email=address, scope=SuppressionScope.MARKETING,
                     reason=f"unsubscribed at the ESP {esp_name}".strip(),
                     delivery=delivery, actor=actor)  # fmt: skip
    return delivery


def _apply_to_delivery(
    delivery: EmailDelivery, event_type: str, now: datetime, click_url: str | None
) -> None:
    changes: dict[str, Any] = {}
    if event_type == "delivered":
        changes = {"delivered_at": now}
        if delivery.status == DeliveryStatus.SENT:
            changes["status"] = DeliveryStatus.DELIVERED
    elif event_type in ("bounced", "rejected"):
        changes = {"bounced_at": now, "status": DeliveryStatus.BOUNCED}
    elif event_type == "complained":
        changes = {"complained_at": now, "status": DeliveryStatus.COMPLAINED}
    elif event_type == "opened":
        record_open(delivery)
    elif event_type == "clicked" and click_url in delivery.links:
        record_click(delivery, delivery.links.index(click_url))
    if changes:
        EmailDelivery.objects.filter(pk=delivery.pk).update(**changes)
        if "status" in changes:
            telemetry.EMAILS.labels(changes["status"]).inc()
