"""Sending email deliveries, a batch at a time (the `email.send` job is a batch handler).

Each delivery is decided (suppression, consent, unsubscribes, smart sending, quiet hours:
skipped or deferred with the reason recorded), rendered, marked `sending` and committed,
then handed to django-anymail over one connection (each hand-over committed before the
ESP is called), then recorded `sent` with the spend entries and `email.sent` events in
bulk. A job retried after a crash sends no second copy and loses none: see
`marketing.email.handover`.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from email.mime.image import MIMEImage
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.message import make_msgid
from django.db import transaction
from django.urls import reverse

from analytics.services import store_events
from benchbarrier import clock, telemetry
from benchbarrier.bulk_sql import update_rows
from benchbarrier.services.spend import (
    BudgetExceeded,
    budgets_for,
    record_spends,
    refuse_if_spent,
)
from marketing.email import handover, tokens
from marketing.email.rendering import RenderedEmail, render_email
from marketing.email.services import email_event, queue_send_job
from marketing.models import (
    DeliveryStatus,
    EmailDelivery,
    EmailKind,
    EmailTemplate,
    Suppression,
    SuppressionScope,
)
from marketing.personal_data import erased_among

logger = logging.getLogger(__name__)
WAITING = (DeliveryStatus.QUEUED, DeliveryStatus.DEFERRED)


class SendFailed(Exception):
    """The delivery can never be sent as it is (a missing variable...); marked failed."""


@dataclass(frozen=True)
class Decision:
    """Why a delivery does not go now: with `defer_until`, later; without, never."""

    reason: str
    defer_until: datetime | None = None


def deliver(delivery_id: int) -> EmailDelivery:
    """Send one delivery (see `deliver_many`); raises its failure, if any."""
    failures = deliver_many([delivery_id])
    if delivery_id in failures:
        raise failures[delivery_id]
    return EmailDelivery.objects.get(pk=delivery_id)


def deliver_many(delivery_ids: list[int]) -> dict[int, Exception]:
    """Send the waiting deliveries among `delivery_ids`, in a fixed number of queries
    plus one per message handed to the ESP (see `marketing.email.handover`).

    Returns {delivery id: exception} for those that failed: SendFailed (never
    sendable), EmailDelivery.DoesNotExist, or the ESP's error (the delivery is back to
    queued, so a retry sends it). Deliveries already handled are left alone; ones a
    dead worker left `sending` are settled first.
    """
    now = clock.now()
    sender = handover.new_sender()
    failures: dict[int, Exception] = {}
    outgoing: list[tuple[EmailDelivery, RenderedEmail]] = []
    with transaction.atomic():
        deliveries = list(
            EmailDelivery.objects.select_for_update(of=("self",))
            .select_related("customer")
            .filter(pk__in=delivery_ids)
            .order_by("pk")
        )
        _attach_templates(deliveries)
        for missing in set(delivery_ids) - {d.pk for d in deliveries}:
            failures[missing] = EmailDelivery.DoesNotExist(f"delivery {missing} does not exist")
        _, recovered, unknown = handover.settle_abandoned(
            d for d in deliveries if d.status == DeliveryStatus.SENDING
        )
        changed: list[EmailDelivery] = [*recovered, *unknown]
        waiting = [d for d in deliveries if d.status in WAITING]
        decisions = sending_decisions(waiting, now)
        budget = EmailBudget()
        for delivery in waiting:
            decision = decisions[delivery.pk] or budget.decide(delivery)
            if decision is not None:
                later = decision.defer_until is not None
                status = DeliveryStatus.DEFERRED if later else DeliveryStatus.SKIPPED
                _set(delivery, status, decision.reason, changed)
                if later:
                    queue_send_job(delivery, decision.defer_until)
                continue
            try:
                rendered = render_delivery(delivery)
            except ValueError as exc:
                _set(delivery, DeliveryStatus.FAILED, str(exc), changed)
                telemetry.EMAILS.labels(DeliveryStatus.FAILED).inc()
                failures[delivery.pk] = SendFailed(str(exc))
                continue
            delivery.subject = ("[Test] " if delivery.is_test else "") + rendered.subject
            delivery.links = rendered.links
            delivery.message_id = make_msgid(domain=_domain())
            delivery.sender, delivery.handed_at = sender, None
            _set(delivery, DeliveryStatus.SENDING, "", changed)
            outgoing.append((delivery, rendered))
        update_rows(
            EmailDelivery._meta.db_table,
            ["status", "reason", "subject", "links", "message_id", "sender", "handed_at",
             "sent_at"],
            [(d.status, d.reason, d.subject, json.dumps(d.links), d.message_id, d.sender,
              d.handed_at, d.sent_at, d.pk) for d in changed],
        )  # fmt: skip
        _record_sent(recovered)
    if outgoing:
        _send_all(outgoing, failures, sender)
    return failures


def _attach_templates(deliveries: list[EmailDelivery]) -> None:
    """Each delivery's template, read once per template (a join would read its bodies
    once per delivery)."""
    ids = {d.template_id for d in deliveries}
    templates = {t.pk: t for t in EmailTemplate.objects.filter(pk__in=ids)}
    for delivery in deliveries:
        delivery.template = templates[delivery.template_id]


def _set(delivery: EmailDelivery, status: str, reason: str, changed: list) -> None:
    delivery.status = status
    delivery.reason = reason[:300]
    changed.append(delivery)


def _send_all(
    outgoing: list[tuple[EmailDelivery, RenderedEmail]],
    failures: dict[int, Exception],
    sender: str,
) -> None:
    """Hand each message to the ESP (its hand-over committed first), then record the
    sent ones, those this batch still holds, in bulk."""
    sent: list[EmailDelivery] = []
    with get_connection() as connection:
        for delivery, rendered in outgoing:
            message = _message(delivery, rendered, connection)
            if not handover.hand_over(delivery, sender):
                continue  # settled by another worker meanwhile: not ours to send
            try:
                delivery.esp_message_id = _send(message, delivery)
            except Exception as exc:  # the ESP refused or failed: retry later
                failures[delivery.pk] = exc
                handover.give_back(delivery, sender)
                continue
            delivery.status = DeliveryStatus.SENT
            delivery.sent_at = clock.now()
            sent.append(delivery)
    with transaction.atomic():
        held = update_rows(
            EmailDelivery._meta.db_table,
            ["status", "sent_at", "esp_message_id"],
            [(d.status, d.sent_at, d.esp_message_id, d.pk, sender, DeliveryStatus.SENDING)
             for d in sent],
            keys=("id", "sender", "status"),
        )  # fmt: skip
        _record_sent([d for d, ours in zip(sent, held, strict=True) if ours])


def _record_sent(sent: list[EmailDelivery]) -> None:
    """The spend entry and the `email.sent` event of each sent delivery."""
    if not sent:
        return
    telemetry.EMAILS.labels(DeliveryStatus.SENT).inc(len(sent))
    price = Decimal(settings.EMAIL_PRICE_PER_MESSAGE)
    record_spends(
        service="email",
        operation="send",
        cost=price,
        entries=[
            (f"delivery {d.pk}", {"template": d.template.slug, "kind": d.kind, "source": d.source})
            for d in sent
        ],
    )
    store_events([email_event(d, "email.sent", _sent_properties(d)) for d in sent])


def _sent_properties(delivery: EmailDelivery) -> dict[str, Any]:
    """The template, and the campaign of a campaign's email (its `campaign` dimension)."""
    found = {"template": delivery.template.slug}
    kind, _, number = delivery.source.partition(" ")
    if kind == "campaign" and number.isdigit():
        found["campaignId"] = int(number)
    return found


class EmailBudget:
    """The `email` and `total` budgets for one batch, read once and kept up to date as it
    sends: once a hard-stop one is spent, marketing email is skipped with its reason;
    transactional email (an order's receipt) and tests still go, and count."""

    def __init__(self) -> None:
        self.price = Decimal(settings.EMAIL_PRICE_PER_MESSAGE)
        self.budgets: list | None = None

    def decide(self, delivery: EmailDelivery) -> Decision | None:
        if self.budgets is None:
            self.budgets = budgets_for("email")
        if delivery.kind == EmailKind.MARKETING and not delivery.is_test:
            try:
                refuse_if_spent(self.budgets)
            except BudgetExceeded as exc:
                return Decision(f"budget spent: {exc}"[:300])
        for spending in self.budgets:
            spending.spent += self.price
        return None


def sending_decisions(
    deliveries: list[EmailDelivery], now: datetime
) -> dict[int, Decision | None]:
    """For each delivery, None when it may go now, otherwise why not (and until when).

    Two queries for the whole batch. Within the batch the first marketing email to an
    address counts for smart sending, so the next one to it is skipped.
    """
    addresses = {d.to_email for d in deliveries}
    blocked: dict[str, list[Suppression]] = defaultdict(list)
    for suppression in Suppression.objects.filter(email__in=addresses):
        blocked[suppression.email].append(suppression)
    for address in erased_among(addresses):
        erased = Suppression(email=address, scope=SuppressionScope.ALL,
                             reason="their data was erased on request")  # fmt: skip
        blocked[address].append(erased)
    window = timedelta(hours=settings.EMAIL_SMART_SENDING_HOURS)
    last_sent: dict[str, tuple[datetime, str]] = {}
    recent = (
        EmailDelivery.objects.filter(
            to_email__in={d.to_email for d in deliveries if d.kind == EmailKind.MARKETING},
            kind=EmailKind.MARKETING,
            sent_at__gte=now - window,
        )
        .exclude(pk__in=[d.pk for d in deliveries])
        .values_list("to_email", "sent_at", "template__slug")
    )
    for address, sent_at, slug in recent:
        if address not in last_sent or sent_at > last_sent[address][0]:
            last_sent[address] = (sent_at, slug)
    decisions: dict[int, Decision | None] = {}
    for delivery in deliveries:
        decision = _decide(
            delivery, blocked[delivery.to_email], last_sent.get(delivery.to_email), now
        )
        decisions[delivery.pk] = decision
        if decision is None and delivery.kind == EmailKind.MARKETING:
            last_sent[delivery.to_email] = (now, delivery.template.slug)
    return decisions


def _decide(
    delivery: EmailDelivery,
    suppressions: list[Suppression],
    last_marketing: tuple[datetime, str] | None,
    now: datetime,
) -> Decision | None:
    for suppression in suppressions:
        if suppression.scope == SuppressionScope.ALL:
            return Decision(f"suppressed: {suppression.reason}")
    if delivery.kind == EmailKind.TRANSACTIONAL or delivery.is_test:
        return None
    customer = delivery.customer
    if customer is None or not customer.email_opt_in:
        return Decision("no email opt-in")
    category = delivery.template.category
    for suppression in suppressions:
        if suppression.scope == SuppressionScope.MARKETING:
            return Decision(f"unsubscribed: {suppression.reason}")
    for suppression in suppressions:
        if suppression.scope == SuppressionScope.CATEGORY and suppression.category == category:
            return Decision(f'unsubscribed from "{category}"')
    if last_marketing is not None:
        sent_at, slug = last_marketing
        hours = (now - sent_at).total_seconds() / 3600
        return Decision(f'smart sending: "{slug}" went to this address {hours:.1f} h ago')
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


def render_delivery(delivery: EmailDelivery) -> RenderedEmail:
    """The message as it is (or was) sent, tracked links and open pixel included."""

    def track(index: int, url: str) -> str:
        return _link("email-click", tokens.make(tokens.CLICK, delivery.pk, index))

    marketing = delivery.kind == EmailKind.MARKETING
    open_token = tokens.make(tokens.OPEN, delivery.pk)
    rendered = render_email(
        delivery.template,
        delivery.variables,
        customer=delivery.customer,
        to_email=delivery.to_email,
        unsubscribe_url=unsubscribe_url(delivery) if marketing else "",
        open_pixel_url=_link("email-open", open_token),
        track_link=track,
        subject=delivery.subject_override,
    )
    for url in rendered.dropped_links:
        logger.warning("delivery %s: link %r dropped (only http, https, mailto and tel are "
                       "sent)", delivery.pk, url[:200])  # fmt: skip
    return replace(rendered, files=_files(delivery)) if delivery.attachments else rendered


def _files(delivery: EmailDelivery) -> tuple[tuple[str, str, bytes, str], ...]:
    """The delivery's attachments, read from the storage (a missing one: ValueError)."""
    found = []
    for item in delivery.attachments:
        try:
            with default_storage.open(item["path"], "rb") as handle:
                content = handle.read()
        except (OSError, KeyError) as exc:
            name = item.get("filename", "?")
            raise ValueError(f"attachment {name} cannot be read: {exc}") from None
        found.append((item["filename"], item["contentType"], content, item.get("contentId", "")))
    return tuple(found)


def unsubscribe_url(delivery: EmailDelivery) -> str:
    token = tokens.make(tokens.UNSUBSCRIBE, delivery.pk, delivery.to_email)
    return _link("email-unsubscribe", token)


@cache
def _url_prefix(name: str, site_url: str) -> tuple[str, str]:
    """SITE_URL + the path of `name` around its token, so links cost no reverse()."""
    path = reverse(name, args=["TOKEN"])
    before, _, after = path.partition("TOKEN")
    return site_url + before, after


def _link(name: str, token: str) -> str:
    before, after = _url_prefix(name, settings.SITE_URL)
    return f"{before}{token}{after}"


def _message(
    delivery: EmailDelivery, rendered: RenderedEmail, connection: Any
) -> EmailMultiAlternatives:
    headers = {"Message-ID": delivery.message_id}
    if rendered.unsubscribe_url:
        headers["List-Unsubscribe"] = f"<{rendered.unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = EmailMultiAlternatives(
        subject=delivery.subject,
        body=rendered.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[delivery.to_email],
        headers=headers,
        connection=connection,
    )
    message.attach_alternative(rendered.html, "text/html")
    for filename, content_type, content, content_id in rendered.files:
        if content_id:  # an inline image the HTML shows as cid:<content_id>
            image = MIMEImage(content, _subtype=content_type.partition("/")[2])
            image.add_header("Content-ID", f"<{content_id}>")
            image.add_header("Content-Disposition", "inline", filename=filename)
            message.attach(image)
        else:
            message.attach(filename, content, content_type)
    # django-anymail options; other backends ignore them. Tracking is ours, not the ESP's.
    message.metadata = {"delivery_id": str(delivery.pk)}
    message.tags = [delivery.template.slug]
    message.track_clicks = False
    message.track_opens = False
    return message


def _send(message: EmailMultiAlternatives, delivery: EmailDelivery) -> str:
    message.send()
    status = getattr(message, "anymail_status", None)
    if status is not None and status.message_id is not None:
        return str(status.message_id)
    return delivery.message_id


def _domain() -> str:
    return settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip("> ") or "localhost"
