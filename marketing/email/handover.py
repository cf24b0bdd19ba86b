"""Handing deliveries to the ESP one at a time, so that a worker killed in the middle of
a batch leaves at most one message whose fate is unknown, and none sent twice.

`deliver_many` marks its batch `sending` under a token of its own (`sender`). Right
before each message goes to the ESP, its row gets `handed_at` in one committed UPDATE
that holds only while the row is still this batch's: a batch that another worker has
taken over is not sent twice. At the end of the batch the sent ones are recorded in
bulk.

A worker that dies leaves its batch in `sending`. Whoever meets those rows next (a
retried `email.send` job, a campaign's sweep of stale chunks) settles them with
`settle_abandoned`:
- a row never handed over did not leave: it is sent again now;
- a row handed over before its batch's last handed one was sent (the worker went on to
  the next message only after the ESP took this one);
- the batch's last handed row may or may not have reached the ESP: it counts as sent
  ("unconfirmed") and is never sent again. A kill costs at most that one certainty.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.conf import settings
from django.db import connection
from django.db.models import Max

from benchbarrier import clock
from marketing.models import DeliveryStatus, EmailDelivery

UNCONFIRMED = "unconfirmed: the worker stopped while the ESP took it; counted as sent"
# Rows marked `sending` before the hand-over was recorded (no batch token): nothing says
# whether they left, so they are not sent again.
UNKNOWN_OUTCOME = "outcome unknown: the worker stopped while sending; not sent again"


def new_sender() -> str:
    return uuid.uuid4().hex


def hand_over(delivery: EmailDelivery, sender: str) -> bool:
    """Record that this delivery goes to the ESP now (committed before it does); False
    when the batch no longer holds it (another worker settled it: do not send)."""
    now = clock.now()
    params = [now, delivery.pk, sender, DeliveryStatus.SENDING]
    if connection.vendor == "postgresql" and not settings.EMAIL_HANDOVER_DURABLE:
        # Visible to every other session at once, written to disk a moment later
        # (asynchronous commit, for this statement only: one query string is one
        # transaction). A killed worker loses nothing; a crash of the database may
        # forget the last ~0.6 s of hand-overs, whose messages would go a second time.
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL synchronous_commit = off; {_HAND_OVER}", params)
            cursor.nextset()  # the UPDATE's result
            taken = cursor.rowcount
    elif connection.vendor == "postgresql":
        # This runs once per message: psycopg's own cursor, with the statement bound and
        # prepared on the server once per connection.
        import psycopg

        connection.ensure_connection()
        with psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(_HAND_OVER, params, prepare=True)
            taken = cursor.rowcount
    else:
        with connection.cursor() as cursor:
            cursor.execute(_HAND_OVER, params)
            taken = cursor.rowcount
    delivery.handed_at = now
    return bool(taken)


_HAND_OVER = (
    f"UPDATE {EmailDelivery._meta.db_table} SET handed_at = %s "  # noqa: S608 (names from code)
    "WHERE id = %s AND sender = %s AND status = %s"
)


def give_back(delivery: EmailDelivery, sender: str) -> None:
    """The ESP refused it: back to the queue, not handed over, for a retry to send."""
    EmailDelivery.objects.filter(pk=delivery.pk, sender=sender).update(
        status=DeliveryStatus.QUEUED, handed_at=None, sender=""
    )


def settle_abandoned(
    stale: Iterable[EmailDelivery],
) -> tuple[list[EmailDelivery], list[EmailDelivery], list[EmailDelivery]]:
    """Rows left `sending` by a worker that died, as (to send again, sent, unknown):
    see the module's rules. Sets each one's status, reason and sent_at (not saved)."""
    stale = list(stale)
    # (The last handed among the batch's rows still `sending`: a row an earlier look
    # settled has left them. Either way the rows handed over count as sent.)
    senders = {d.sender for d in stale if d.sender}
    last_handed = dict(
        EmailDelivery.objects.filter(
            sender__in=senders, status=DeliveryStatus.SENDING, handed_at__isnull=False
        )
        .values("sender")
        .annotate(last=Max("handed_at"))
        .values_list("sender", "last")
    )
    again: list[EmailDelivery] = []
    sent: list[EmailDelivery] = []
    unknown: list[EmailDelivery] = []
    for delivery in stale:
        if not delivery.sender:
            delivery.status, delivery.reason = DeliveryStatus.FAILED, UNKNOWN_OUTCOME
            unknown.append(delivery)
        elif delivery.handed_at is None:
            delivery.status, delivery.reason = DeliveryStatus.QUEUED, ""
            again.append(delivery)
        else:
            last = delivery.handed_at >= last_handed[delivery.sender]
            delivery.status = DeliveryStatus.SENT
            delivery.reason = UNCONFIRMED if last else ""
            delivery.sent_at = delivery.handed_at
            sent.append(delivery)
    return again, sent, unknown
