"""Email delivery: queue, decide (consent, suppression, smart sending, quiet hours),
render, hand to django-anymail exactly once, and track what happens next.

A delivery is sent by the `email.send` job. Its status moves queued -> sending -> sent
(then delivered, bounced, complained from the ESP), or to skipped / deferred / failed
with the reason recorded. `sending` is committed before the ESP is called, so a job
retried after a crash never sends a second copy (at most once: a send whose outcome is
unknown is marked failed, not repeated).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import make_msgid
from django.db import transaction
from django.urls import reverse

from analytics.services import store_events
from analytics.validation import EventInput
from benchbarrier import clock
from benchbarrier.services.audit import Actor, record_audit
from benchbarrier.services.spend import record_spend
from jobs.services import enqueue
from marketing import email_tokens
from marketing.email_rendering import RenderedEmail, render_email
from marketing.models import (
    Customer,
    DeliveryStatus,
    EmailDelivery,
    EmailKind,
    EmailTemplate,
    Suppression,
    SuppressionScope,
)

WAITING = (DeliveryStatus.QUEUED, DeliveryStatus.DEFERRED)
UNKNOWN_OUTCOME = "outcome unknown: the worker stopped while sending; not sent again"


class EmailTemplateUnknown(ValueError):
    pass


@dataclass(frozen=True)
class Decision:
    """Why a delivery does not go now: `defer_until` set means later, else never."""

    reason: str
    defer_until: datetime | None = None


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
) -> EmailDelivery:
    """Record a delivery and queue its `email.send` job (in the caller's transaction).

    The same idempotency key returns the first delivery instead of a second one.
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
            },
        )
        if created:
            _queue_job(delivery, send_after)
    return delivery


def _queue_job(delivery: EmailDelivery, when: datetime | None) -> None:
    stamp = when.isoformat() if when else "now"
    enqueue(
        job_type="email.send",
        payload={"deliveryId": delivery.pk},
        scheduled_for=when,
        idempotency_key=f"email.send:{delivery.pk}:{stamp}",
    )


# --- sending ---------------------------------------------------------------------------


class SendFailed(Exception):
    """The delivery cannot be sent (e.g. a missing variable); it is marked failed."""


def deliver(delivery_id: int) -> EmailDelivery:
    """Send one delivery if it is still waiting; the `email.send` job's body.

    Raises SendFailed for a delivery that can never be sent, and lets ESP errors
    propagate (the job retries; the delivery is back to queued).
    """
    now = clock.now()
    with transaction.atomic():
        delivery = (
            EmailDelivery.objects.select_for_update(of=("self",))
            .select_related("template", "customer")
            .get(pk=delivery_id)
        )
        if delivery.status == DeliveryStatus.SENDING:
            _finish(delivery, DeliveryStatus.FAILED, UNKNOWN_OUTCOME)
            return delivery
        if delivery.status not in WAITING:
            return delivery
        decision = sending_decision(delivery, now)
        if decision is not None and decision.defer_until is None:
            _finish(delivery, DeliveryStatus.SKIPPED, decision.reason)
            return delivery
        if decision is not None:
            _finish(delivery, DeliveryStatus.DEFERRED, decision.reason)
            _queue_job(delivery, decision.defer_until)
            return delivery
        try:
            rendered = _render(delivery)
        except ValueError as exc:
            _finish(delivery, DeliveryStatus.FAILED, str(exc))
            failure = str(exc)
        else:
            failure = ""
            _mark_sending(delivery, rendered)
    if failure:  # raised after the commit, so the failure is on record
        raise SendFailed(failure)
    try:
        esp_id = _send(delivery, rendered)
    except Exception:
        EmailDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.QUEUED)
        raise
    with transaction.atomic():
        delivery.status = DeliveryStatus.SENT
        delivery.sent_at = clock.now()
        delivery.esp_message_id = esp_id
        delivery.reason = ""
        delivery.save(update_fields=["status", "sent_at", "esp_message_id", "reason"])
        record_spend(
            service="email",
            operation="send",
            cost=Decimal(settings.EMAIL_PRICE_PER_MESSAGE),
            reference=f"delivery {delivery.pk}",
            details={"template": delivery.template.slug, "kind": delivery.kind},
        )
        _emit(delivery, "email.sent", {"template": delivery.template.slug})
    return delivery


def _mark_sending(delivery: EmailDelivery, rendered: RenderedEmail) -> None:
    """Committed before the ESP is called: a retry that finds it never sends again."""
    delivery.subject = rendered.subject
    delivery.links = rendered.links
    delivery.message_id = make_msgid(domain=_domain())
    delivery.status = DeliveryStatus.SENDING
    delivery.save(update_fields=["subject", "links", "message_id", "status"])


def sending_decision(delivery: EmailDelivery, now: datetime) -> Decision | None:
    """None when the delivery may go now; otherwise why not (and until when)."""
    address = delivery.to_email
    blocked = Suppression.objects.filter(email=address)
    hard = blocked.filter(scope=SuppressionScope.ALL).first()
    if hard is not None:
        return Decision(f"suppressed: {hard.reason}")
    if delivery.kind == EmailKind.TRANSACTIONAL:
        return None
    customer = delivery.customer
    if customer is None or not customer.email_opt_in:
        return Decision("no email opt-in")
    unsubscribed = blocked.filter(scope=SuppressionScope.MARKETING).first()
    if unsubscribed is not None:
        return Decision(f"unsubscribed: {unsubscribed.reason}")
    category = delivery.template.category
    if blocked.filter(scope=SuppressionScope.CATEGORY, category=category).exists():
        return Decision(f'unsubscribed from "{category}"')
    window = timedelta(hours=settings.EMAIL_SMART_SENDING_HOURS)
    recent = (
        EmailDelivery.objects.filter(
            to_email=address, kind=EmailKind.MARKETING, sent_at__gte=now - window
        )
        .exclude(pk=delivery.pk)
        .select_related("template")
        .order_by("-sent_at")
        .first()
    )
    if recent is not None:
        hours = (now - recent.sent_at).total_seconds() / 3600
        return Decision(
            f'smart sending: "{recent.template.slug}" went to this address {hours:.1f} h ago'
        )
    until = quiet_hours_end(customer.timezone, now)
    if until is not None:
        return Decision(f"quiet hours in {customer.timezone}", defer_until=until)
    return None


def quiet_hours_end(timezone: str, now: datetime) -> datetime | None:
    """When the quiet hours around `now` end in `timezone`, or None outside them."""
    if not settings.EMAIL_QUIET_HOURS:
        return None
    start, end = (int(part) for part in settings.EMAIL_QUIET_HOURS.split("-"))
    try:
        zone = ZoneInfo(timezone or "UTC")
    except (ValueError, KeyError):
        zone = ZoneInfo("UTC")
    local = now.astimezone(zone)
    hour = local.hour
    quiet = (hour >= start or hour < end) if start > end else start <= hour < end
    if not quiet:
        return None
    ends = local.replace(hour=end, minute=0, second=0, microsecond=0)
    if ends <= local:
        ends += timedelta(days=1)
    return ends


def _finish(delivery: EmailDelivery, status: str, reason: str) -> None:
    delivery.status = status
    delivery.reason = reason[:300]
    delivery.save(update_fields=["status", "reason"])


def _render(delivery: EmailDelivery, *, tracked: bool = True) -> RenderedEmail:
    marketing = delivery.kind == EmailKind.MARKETING
    open_token = email_tokens.make(email_tokens.OPEN, delivery.pk)

    def track(index: int, url: str) -> str:
        token = email_tokens.make(email_tokens.CLICK, delivery.pk, index)
        return settings.SITE_URL + reverse("email-click", args=[token])

    return render_email(
        delivery.template,
        delivery.variables,
        customer=delivery.customer,
        to_email=delivery.to_email,
        unsubscribe_url=unsubscribe_url(delivery) if marketing else "",
        open_pixel_url=settings.SITE_URL + reverse("email-open", args=[open_token])
        if tracked
        else "",
        track_link=track if tracked else None,
    )


def render_delivery(delivery: EmailDelivery) -> RenderedEmail:
    """The message as it was (or will be) sent: for the admin."""
    return _render(delivery)


def unsubscribe_url(delivery: EmailDelivery) -> str:
    token = email_tokens.make(email_tokens.UNSUBSCRIBE, delivery.pk, delivery.to_email)
    return settings.SITE_URL + reverse("email-unsubscribe", args=[token])


def _send(delivery: EmailDelivery, rendered: RenderedEmail) -> str:
    headers = {"Message-ID": delivery.message_id}
    if delivery.kind == EmailKind.MARKETING:
        headers["List-Unsubscribe"] = f"<{unsubscribe_url(delivery)}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[delivery.to_email],
        headers=headers,
    )
    message.attach_alternative(rendered.html, "text/html")
    # django-anymail options; other backends ignore them. Tracking is ours, not the ESP's.
    message.metadata = {"delivery_id": str(delivery.pk)}
    message.tags = [delivery.template.slug]
    message.track_clicks = False
    message.track_opens = False
    message.send()
    status = getattr(message, "anymail_status", None)
    if status is not None and status.message_id is not None:
        return str(status.message_id)
    return delivery.message_id


def _domain() -> str:
    return settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip("> ") or "localhost"


def _emit(delivery: EmailDelivery, name: str, properties: dict[str, Any]) -> None:
    customer = delivery.customer
    user_id = customer.external_id if customer else None
    store_events(
        [
            EventInput(
                event_name=name,
                user_id=user_id,
                session_id=None,
                message_id=f"{name}:{delivery.pk}",
                timestamp=clock.now(),
                properties={"deliveryId": delivery.pk, **properties},
            )
        ]
    )


# --- tracking and preferences --------------------------------------------------------


def record_open(delivery: EmailDelivery) -> None:
    """First open stamps the delivery and emits `email.opened` (later opens do not)."""
    updated = EmailDelivery.objects.filter(pk=delivery.pk, opened_at__isnull=True).update(
        opened_at=clock.now()
    )
    if updated:
        _emit(delivery, "email.opened", {})


def record_click(delivery: EmailDelivery, index: int) -> str:
    """The URL of link `index` in this message (IndexError if there is none); the first
    click stamps the delivery and emits `email.clicked`."""
    if not 0 <= index < len(delivery.links):
        raise IndexError(index)
    url = delivery.links[index]
    now = clock.now()
    updated = EmailDelivery.objects.filter(pk=delivery.pk, clicked_at__isnull=True).update(
        clicked_at=now
    )
    EmailDelivery.objects.filter(pk=delivery.pk, opened_at__isnull=True).update(opened_at=now)
    if updated:
        _emit(delivery, "email.clicked", {"url": url})
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
