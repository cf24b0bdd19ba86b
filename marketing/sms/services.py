"""Queueing an SMS, and what comes back: the provider's delivery statuses, replies with
STOP / START / HELP, clicks on short links.

Every SMS goes through `queue_sms`, which records the message (the same idempotency key
gives back the first one) and queues its `sms.send` job in the caller's transaction.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.template import Context, Engine, TemplateSyntaxError

from analytics.services import store_events
from analytics.validation import EventInput
from benchbarrier import clock
from jobs.services import enqueue
from marketing.message_events import message_event
from marketing.models import Customer
from marketing.sms import encoding, links
from marketing.sms.models import SmsMessage, SmsOptOut, SmsStatus
from marketing.sms.phones import e164_or_none

MAX_LENGTH = 1600  # what Twilio accepts in one message (10 segments)
SEND = "sms.send"
STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT"}
START_WORDS = {"START", "YES", "UNSTOP", "OPTIN"}
HELP_WORDS = {"HELP", "INFO"}
_ENGINE = Engine(autoescape=False, string_if_invalid="\x00MISSING:%s\x00")
_MISSING = re.compile("\x00MISSING:(.*?)\x00")


class SmsTextError(ValueError):
    pass


def text_problem(text: Any) -> str | None:
    """What is wrong with an SMS text (template syntax included), or None."""
    if not isinstance(text, str) or not text.strip():
        return "the message's text"
    if len(text) > MAX_LENGTH:
        return f"at most {MAX_LENGTH} characters (this is {len(text)})"
    try:
        _ENGINE.from_string(text)
    except TemplateSyntaxError as exc:
        return f"does not compile: {exc}"
    return None


def render_text(text: str, context: dict[str, Any]) -> str:
    """The text with its {{ values }} filled in (plain text: nothing is escaped)."""
    problem = text_problem(text)
    if problem:
        raise SmsTextError(problem)
    output = _ENGINE.from_string(text).render(Context(context))
    missing = _MISSING.search(output)
    if missing:
        raise SmsTextError(f'"{missing.group(1)}" has no value here')
    return output.strip()


def queue_sms(
    *,
    text: str,
    customer: Customer | None = None,
    to: str | None = None,
    source: str = "",
    idempotency_key: str,
    send_after: datetime | None = None,
) -> SmsMessage:
    """Record an SMS (rendered already) and queue its `sms.send` job, in the caller's
    transaction. The number is the customer's unless `to` is given; a number that is not
    valid is recorded and skipped with the reason when the job decides."""
    existing = SmsMessage.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        message = _record(text, customer, to, source, idempotency_key, send_after)
        enqueue(
            job_type=SEND,
            payload={"messageId": message.pk},
            scheduled_for=send_after,
            idempotency_key=f"sms.send:{message.pk}",
        )
    return message


def record_sms(
    *,
    text: str,
    customer: Customer,
    variables: dict[str, Any],
    idempotency_key: str,
    source: str,
) -> SmsMessage:
    """A campaign's message to one customer, rendered for them and recorded (once per
    key) without a job: the campaign's sender sends it."""
    existing = SmsMessage.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    person = {"name": customer.name.strip(), "first_name": customer.first_name,
              "phone": customer.phone, "email": customer.email or ""}  # fmt: skip
    context = {**variables, "customer": person}
    return _record(render_text(text, context), customer, None, source, idempotency_key, None)


def _record(
    text: str,
    customer: Customer | None,
    to: str | None,
    source: str,
    idempotency_key: str,
    send_after: datetime | None,
) -> SmsMessage:
    number = to or (customer.phone if customer else "")
    message = SmsMessage.objects.create(
        to_number=e164_or_none(number) or number[:20],
        customer=customer,
        body=text,
        idempotency_key=idempotency_key,
        source=source[:300],
        send_after=send_after,
    )
    body, found = links.shorten(message.pk, text)
    length = encoding.measure(body)
    message.body, message.links = body, found
    message.encoding, message.segments = length.encoding, length.segments
    message.save(update_fields=["body", "links", "encoding", "segments"])
    return message


# --- what comes back ------------------------------------------------------------------

# Twilio's statuses, as ours (the ones that say nothing new are left out).
PROVIDER_STATUSES = {
    "sent": SmsStatus.SENT,
    "delivered": SmsStatus.DELIVERED,
    "undelivered": SmsStatus.UNDELIVERED,
    "failed": SmsStatus.FAILED,
}
_FINAL = {SmsStatus.DELIVERED, SmsStatus.UNDELIVERED, SmsStatus.FAILED}


def record_status(provider_id: str, status: str, error_code: str = "") -> bool:
    """A delivery status from the provider; False when no message has that id. A
    final status is not overwritten by a late, earlier one (callbacks come unordered)."""
    ours = PROVIDER_STATUSES.get(status)
    message = SmsMessage.objects.filter(provider_id=provider_id).first()
    if message is None:
        return False
    if ours is None or message.status in _FINAL:
        return True
    changes: dict[str, Any] = {"status": ours}
    if ours == SmsStatus.DELIVERED:
        changes["delivered_at"] = clock.now()
    if ours in (SmsStatus.UNDELIVERED, SmsStatus.FAILED):
        changes["reason"] = f"the provider reports {status}" + (
            f" (error {error_code})" if error_code else ""
        )
    SmsMessage.objects.filter(pk=message.pk).exclude(status__in=_FINAL).update(**changes)
    return True


def handle_reply(number: str, body: str) -> str:
    """A reply to one of our messages: STOP (and its synonyms) opts the number out of
    marketing SMS, START opts it back in, HELP is answered. Returns the answer to send
    back ("" for none)."""
    word = re.sub(r"[^A-Z]", "", body.strip().upper().split(" ")[0] if body.strip() else "")
    number = e164_or_none(number) or number
    customers = Customer.objects.filter(phone=number)
    now = clock.now()
    if word in STOP_WORDS:
        with transaction.atomic():
            SmsOptOut.objects.update_or_create(number=number, defaults={"keyword": word})
            customers.update(sms_opt_in=False, sms_opt_in_at=now,
                             sms_opt_in_source=f"replied {word}")  # fmt: skip
        return ""  # the provider confirms the opt-out itself (carriers require it)
    if word in START_WORDS:
        with transaction.atomic():
            SmsOptOut.objects.filter(number=number).delete()
            customers.update(sms_opt_in=True, sms_opt_in_at=now,
                             sms_opt_in_source=f"replied {word}")  # fmt: skip
        return ""
    if word in HELP_WORDS:
        return settings.SMS_HELP_TEXT
    return ""


def record_click(message: SmsMessage, index: int) -> str:
    """The URL of link `index` (IndexError if there is none); the first click stamps
    the message and puts `sms.clicked` on the bus."""
    url = message.links[index]
    stamped = SmsMessage.objects.filter(pk=message.pk, clicked_at__isnull=True).update(
        clicked_at=clock.now()
    )
    if stamped:
        store_events([sms_event(message, "sms.clicked", {"url": url})])
    return url


def sms_event(message: Any, name: str, properties: dict[str, Any]) -> EventInput:
    return message_event(message, name, "smsId", properties)
