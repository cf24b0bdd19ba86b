"""Sending a notification to each of the customer's live subscriptions: marked `sending`
(committed) first, so a job re-run after a crash does not notify twice ("outcome
unknown" instead); a subscription the push service answers 404 or 410 for is removed."""

from __future__ import annotations

from collections import defaultdict

from django.db import transaction

from analytics.services import store_events
from benchbarrier import clock
from marketing.push.backends import EXPIRED, SendError, Target, backend
from marketing.push.models import PushMessage, PushStatus, PushSubscription
from marketing.push.services import push_event, shown_url, tracked_url

UNKNOWN = "outcome unknown: the worker stopped while sending; not sent again"


def deliver_push(ids: list[int]) -> dict[int, Exception]:
    failures: dict[int, Exception] = {}
    messages = list(
        PushMessage.objects.filter(pk__in=ids).select_related("customer").order_by("pk")
    )
    devices: dict[int, list[PushSubscription]] = defaultdict(list)
    customers = {m.customer_id for m in messages if m.customer_id is not None}
    for subscription in PushSubscription.objects.filter(customer_id__in=customers):
        devices[subscription.customer_id].append(subscription)
    for message in messages:
        if message.status == PushStatus.SENDING:
            _finish(message, PushStatus.FAILED, UNKNOWN)
        elif message.status == PushStatus.QUEUED:
            error = _send(message, devices[message.customer_id])
            if error is not None:
                failures[message.pk] = error
    return failures


def _send(message: PushMessage, subscriptions: list[PushSubscription]) -> Exception | None:
    if message.customer_id is None or not subscriptions:
        _finish(message, PushStatus.SKIPPED, "no push subscription")
        return None
    if not PushMessage.objects.filter(pk=message.pk, status=PushStatus.QUEUED).update(
        status=PushStatus.SENDING
    ):
        return None
    payload = {"title": message.title, "body": message.body, "url": tracked_url(message),
               "shown": shown_url(message), "tag": f"push-{message.pk}"}  # fmt: skip
    devices = {"sent": 0, "expired": 0, "failed": 0}
    for subscription in list(subscriptions):  # (an expired one leaves the batch's list)
        target = Target(subscription.endpoint, subscription.p256dh, subscription.auth)
        try:
            status = backend().send(target, payload)
        except SendError as exc:
            if exc.retry and not devices["sent"]:
                PushMessage.objects.filter(pk=message.pk).update(status=PushStatus.QUEUED)
                return exc
            devices["failed"] += 1
            continue
        if status in EXPIRED:
            subscription.delete()
            subscriptions.remove(subscription)
            devices["expired"] += 1
        elif 200 <= status < 300:
            PushSubscription.objects.filter(pk=subscription.pk).update(last_sent_at=clock.now())
            devices["sent"] += 1
        else:
            devices["failed"] += 1
    with transaction.atomic():
        if devices["sent"]:
            PushMessage.objects.filter(pk=message.pk).update(
                status=PushStatus.SENT, sent_at=clock.now(), devices=devices, reason=""
            )
            store_events([push_event(message, "push.sent", {"devices": devices["sent"]})])
        else:
            reason = "every subscription had expired" if devices["expired"] else "refused"
            PushMessage.objects.filter(pk=message.pk).update(devices=devices)
            _finish(message, PushStatus.FAILED, reason)
    return None


def _finish(message: PushMessage, status: str, reason: str) -> None:
    PushMessage.objects.filter(pk=message.pk).update(status=status, reason=reason)
    message.status, message.reason = status, reason
