"""Sending SMS: each message decided (consent, a valid number, a STOP reply, quiet hours
in the customer's time zone, the month's SMS budget), marked `sending` (committed), handed
to the provider, and recorded with its price per segment in the spend ledger.

A job retried after a crash finds `sending` rows and does not send them again (the
provider offers no idempotency key): they are failed with "outcome unknown".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction

from analytics.services import store_events
from benchbarrier import clock
from benchbarrier.services.spend import (
    BudgetExceeded,
    budgets_for,
    record_spend,
    refuse_if_spent,
)
from jobs.services import enqueue
from marketing.email.sending import quiet_hours_end
from marketing.personal_data import erased_among
from marketing.sms.backends import SendError, backend
from marketing.sms.models import SmsMessage, SmsOptOut, SmsStatus
from marketing.sms.phones import e164_or_none
from marketing.sms.services import SEND, sms_event

UNKNOWN = "outcome unknown: the worker stopped while sending; not sent again"


@dataclass(frozen=True)
class Skip:
    status: str
    reason: str
    until: datetime | None = None


def decide(message: SmsMessage, opted_out: set[str], now: datetime,
           erased: frozenset[str] | set[str] = frozenset()) -> Skip | None:  # fmt: skip
    """None when the message may go now; else why not (and until when)."""
    if e164_or_none(message.to_number) != message.to_number:
        return Skip(SmsStatus.SKIPPED, f'no valid phone number ("{message.to_number}")')
    if message.to_number in erased:
        return Skip(SmsStatus.SKIPPED, "the number's owner had their data erased")
    if message.to_number in opted_out:
        return Skip(SmsStatus.SKIPPED, "the number replied STOP")
    customer = message.customer
    if customer is not None and not customer.sms_opt_in:
        return Skip(SmsStatus.SKIPPED, "no SMS consent")
    until = quiet_hours_end(customer.timezone if customer else "", now)
    if until is not None:
        return Skip(SmsStatus.DEFERRED, "quiet hours", until)
    return None


def deliver_sms(ids: list[int]) -> dict[int, Exception]:
    """Send these messages (those still queued or deferred); returns {id: error} for
    the ones to retry later."""
    now = clock.now()
    messages = list(
        SmsMessage.objects.filter(pk__in=ids).select_related("customer").order_by("pk")
    )
    for message in messages:
        if message.status == SmsStatus.SENDING:  # a crash mid-send left it
            _finish(message, SmsStatus.FAILED, UNKNOWN)
    numbers = {m.to_number for m in messages}
    opted_out = set(SmsOptOut.objects.filter(number__in=numbers).values_list("number", flat=True))
    erased = erased_among(numbers)
    failures: dict[int, Exception] = {}
    budgets = None  # read once per batch, kept up to date as the batch spends
    for message in messages:
        if message.status not in (SmsStatus.QUEUED, SmsStatus.DEFERRED):
            continue
        skip = decide(message, opted_out, now, erased)
        if skip is not None:
            _hold_back(message, skip)
            continue
        try:
            if budgets is None:
                budgets = budgets_for("sms")
            refuse_if_spent(budgets)
        except BudgetExceeded as exc:
            _finish(message, SmsStatus.FAILED, str(exc)[:300])
            continue
        error = _send(message, budgets)
        if error is not None:
            failures[message.pk] = error
    return failures


def _send(message: SmsMessage, budgets: list) -> Exception | None:
    taken = SmsMessage.objects.filter(
        pk=message.pk, status__in=[SmsStatus.QUEUED, SmsStatus.DEFERRED]
    ).update(status=SmsStatus.SENDING)
    if not taken:
        return None  # another worker has it
    try:
        accepted = backend().send(message.to_number, message.body)
    except SendError as exc:
        if exc.retry:
            SmsMessage.objects.filter(pk=message.pk).update(status=SmsStatus.QUEUED)
            return exc
        _finish(message, SmsStatus.FAILED, str(exc)[:300])
        return None
    cost = Decimal(settings.SMS_PRICE_PER_SEGMENT) * max(message.segments, 1)
    with transaction.atomic():
        SmsMessage.objects.filter(pk=message.pk).update(
            status=SmsStatus.SENT, provider_id=accepted.provider_id, sent_at=clock.now(),
            cost=cost, reason="",
        )  # fmt: skip
        record_spend(
            service="sms", operation="send", cost=cost, quantity=max(message.segments, 1),
            reference=f"sms {message.pk}", details={"source": message.source},
            budgets=budgets,
        )  # fmt: skip
        store_events([sms_event(message, "sms.sent", {"segments": message.segments})])
    for budget in budgets:
        budget.spent += cost
    return None


def _hold_back(message: SmsMessage, skip: Skip) -> None:
    with transaction.atomic():
        _finish(message, skip.status, skip.reason)
        if skip.until is not None:
            SmsMessage.objects.filter(pk=message.pk).update(send_after=skip.until)
            enqueue(
                job_type=SEND,
                payload={"messageId": message.pk},
                scheduled_for=skip.until,
                idempotency_key=f"sms.send:{message.pk}:{skip.until.isoformat()}",
            )


def _finish(message: SmsMessage, status: str, reason: str) -> None:
    SmsMessage.objects.filter(pk=message.pk).update(status=status, reason=reason)
    message.status, message.reason = status, reason
