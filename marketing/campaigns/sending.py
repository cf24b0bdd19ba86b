"""Sending a broadcast: `campaign.send` jobs take the next chunk of due sends, take
tokens from the campaign's bucket (the throttle every worker shares), record the
chunk's email deliveries and send them through the email path (consent, suppression,
smart sending, quiet hours, tracking), then hand themselves back for the next chunk.

Crash safety: a chunk's deliveries are recorded (and the sends marked `queued`) in one
transaction before anything is sent, and the email path hands each delivery to the ESP
at most once (`marketing.email.handover`). A chunk whose worker died stays `queued`;
the next job finds it once it is older than CAMPAIGN_STALE_SECONDS, sends what never
left and settles the rest. So a killed worker loses nothing and sends nothing twice (of
the message it was handing over when it died, the ESP may or may not have taken it: it
counts as sent, "unconfirmed"). Pausing or cancelling stops the jobs at their
next chunk; sends not yet taken stay unsent.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q

from benchbarrier import clock, telemetry
from benchbarrier.bulk_sql import insert_rows, update_rows
from benchbarrier.ratelimit import take
from jobs.models import Job
from jobs.services import JobSpec, enqueue_many, requeue_held
from marketing import channels
from marketing.campaigns.models import Campaign, CampaignSend, CampaignStatus, SendStatus
from marketing.email.sending import deliver_many
from marketing.models import EmailDelivery

SEND = "campaign.send"
SENDING = (CampaignStatus.SENDING, CampaignStatus.TESTING)


def chunk_size() -> int:
    return settings.CAMPAIGN_SEND_CHUNK


def stale_after() -> timedelta:
    return timedelta(seconds=settings.CAMPAIGN_STALE_SECONDS)


def rate_of(campaign: Campaign) -> int:
    return campaign.throttle_per_second or settings.CAMPAIGN_EMAIL_RATE


def queue_senders(campaign: Campaign, *, when: datetime | None = None) -> None:
    """Start the campaign's senders: as many jobs as chunks can usefully run side by
    side (each carries on chunk after chunk until nothing is due)."""
    enqueue_many(
        [
            JobSpec(SEND, {"campaignId": campaign.pk}, scheduled_for=when)
            for _ in range(settings.CAMPAIGN_PARALLEL_SENDERS)
        ]
    )


def send_chunks(jobs: list[Job]) -> dict[Any, Exception]:
    """Each claimed `campaign.send` job sends one chunk of its campaign, then is handed
    back (due now, or when the throttle or the next local send time allows) or ends
    when nothing is left."""
    follow_ups: list[tuple[Job, dict[str, Any], datetime | None]] = []
    for job in jobs:
        later = send_chunk(job.payload["campaignId"])
        if later is not None:
            follow_ups.append((job, job.payload, later))
    if follow_ups:
        with transaction.atomic():
            requeue_held(follow_ups)
    return {}


def send_chunk(campaign_id: int) -> datetime | None:
    """Send one chunk; returns when to send the next (None: this sender is done)."""
    now = clock.now()
    campaign = Campaign.objects.filter(pk=campaign_id).select_related("template").first()
    if campaign is None or campaign.status not in SENDING:
        return None
    with transaction.atomic():
        if not _still_sending(campaign):
            return None
        sends = _next_chunk(campaign, now)
        if not sends:
            return _after_last_chunk(campaign, now)
        wait = take(f"campaign:{campaign.pk}", len(sends), rate=rate_of(campaign))
        if wait:
            return now + timedelta(seconds=wait)
        channel = channels.get(campaign.type)
        if channel.record is not None:
            _record_messages(campaign, channel, sends, now)
        else:
            _record_deliveries(campaign, [s for s in sends if s.delivery_id is None], now)
            update_rows(
                CampaignSend._meta.db_table,
                ["status", "queued_at", "delivery_id"],
                [(SendStatus.QUEUED, now, s.delivery_id, s.pk) for s in sends],
            )
    if channel.record is not None:
        _deliver_messages(channel, sends)
    else:
        deliver_many([s.delivery_id for s in sends])
        settle([s.pk for s in sends])
    telemetry.count_campaign(campaign.type, "sent", len(sends))
    return now


def _record_messages(
    campaign: Campaign, channel: channels.Channel, sends: list[CampaignSend], now: datetime
) -> None:
    """A chunk of an SMS or push campaign: a message per send, rendered for its customer
    and recorded in the chunk's transaction (keyed by the send: once)."""
    from marketing.models import Customer

    column = f"{channel.message_field}_id"
    customers = Customer.objects.in_bulk([s.customer_id for s in sends])
    for send in sends:
        if getattr(send, column) is None:
            key = f"campaign-send:{send.pk}"
            setattr(send, column, channel.record(campaign, customers[send.customer_id], key))
    update_rows(
        CampaignSend._meta.db_table,
        ["status", "queued_at", column],
        [(SendStatus.QUEUED, now, getattr(s, column), s.pk) for s in sends],
    )


def _deliver_messages(channel: channels.Channel, sends: list[CampaignSend]) -> None:
    """Send the chunk's messages, then copy each one's outcome onto its send (a message
    deferred by quiet hours, or refused for now by the provider, goes later by its own
    job)."""
    column = f"{channel.message_field}_id"
    ids = [getattr(s, column) for s in sends]
    failures = channel.send(ids)
    retries = [
        JobSpec(channel.job_type, {"messageId": pk}, 0, None, None, f"{channel.job_type}:{pk}")
        for pk in failures
    ]
    enqueue_many(retries)
    model = CampaignSend._meta.get_field(channel.message_field).related_model
    messages = model.objects.in_bulk(ids)
    rows = [
        (channel.outcomes[message.status], getattr(message, "sent_at", None), send.pk)
        for send in sends
        for message in [messages.get(getattr(send, column))]
        if message is not None and message.status in channel.outcomes
    ]
    update_rows(CampaignSend._meta.db_table, ["status", "sent_at"], rows)


def _still_sending(campaign: Campaign) -> bool:
    """Whether the campaign still sends, read under a share lock held until the chunk is
    taken: a pause or cancel (which locks the row for update) waits for chunks being
    taken, and no chunk is taken after it returns."""
    lock = (
        " FOR SHARE" if connection.features.has_select_for_update else ""
    )  # (SQLite: one writer)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT status FROM {Campaign._meta.db_table} WHERE id = %s{lock}",  # noqa: S608
            [campaign.pk],
        )
        row = cursor.fetchone()
    return row is not None and row[0] in SENDING


# A queued send not settled: its chunk's worker died before sending or before copying
# the outcome (a delivery deferred by quiet hours belongs to its own email.send job).
UNSENT = (
    Q(status=SendStatus.QUEUED)
    & ~Q(delivery__status="deferred")
    & ~Q(sms_message__status="deferred")
)  # (push is never deferred)


def _next_chunk(campaign: Campaign, now: datetime) -> list[CampaignSend]:
    """Queued sends left by a worker that died, then due pending ones in send-time
    order (each an index range: the campaign's sends are not scanned per chunk), locked
    so that concurrent senders take different ones."""
    size = chunk_size()
    mine = CampaignSend.objects.select_for_update(skip_locked=True, of=("self",)).filter(
        campaign=campaign
    )
    chunk = list(mine.filter(UNSENT, queued_at__lt=now - stale_after()).order_by("pk")[:size])
    if len(chunk) < size:
        chunk += mine.filter(status=SendStatus.PENDING, due_at__lte=now).order_by("due_at", "pk")[
            : size - len(chunk)
        ]
    return chunk


def _record_deliveries(campaign: Campaign, sends: list[CampaignSend], now: datetime) -> None:
    """One delivery per send, keyed by the send, in one INSERT; then each send points to
    its delivery (both in the chunk's transaction, so a send never has a delivery it
    does not know of)."""
    if not sends:
        return
    variants = _variant_content(campaign)
    customers = dict(_customers(sends))
    variables = json.dumps(campaign.variables)
    rows = []
    for send in sends:
        template, subject = variants.get(send.variant, (campaign.template, campaign.subject))
        rows.append(
            (customers[send.customer_id], send.customer_id, template.pk, variables,
             template.kind, f"campaign-send:{send.pk}", f"campaign {campaign.pk}",
             subject, now)
        )  # fmt: skip
    inserted = insert_rows(
        EmailDelivery._meta.db_table,
        [("to_email", "text"), ("customer_id", "bigint"), ("template_id", "bigint"),
         ("variables", "jsonb"), ("kind", "text"), ("idempotency_key", "text"),
         ("source", "text"), ("subject_override", "text"), ("created_at", "timestamptz")],
        rows,
        constants=NEW_DELIVERY,
        returning="id, idempotency_key",
    )  # fmt: skip
    ids = {key: pk for pk, key in inserted}
    for send in sends:
        send.delivery_id = ids[f"campaign-send:{send.pk}"]


# The columns of a new delivery that are the same for every one.
NEW_DELIVERY = {
    "is_test": "false", "status": "'queued'", "reason": "''", "subject": "''",
    "links": "'[]'", "attachments": "'[]'", "message_id": "''", "esp_message_id": "''",
    "sender": "''", "proxy_open": "false", "bot_click": "false",
}  # fmt: skip


def _customers(sends: list[CampaignSend]) -> Any:
    """(id, email) of the chunk's customers."""
    from marketing.models import Customer

    return Customer.objects.filter(pk__in=[s.customer_id for s in sends]).values_list(
        "pk", "email"
    )


def _variant_content(campaign: Campaign) -> dict[str, tuple[Any, str]]:
    """What each A/B variant sends: its own template and/or subject, else the campaign's."""
    from marketing.models import EmailTemplate

    variants = (campaign.ab_test or {}).get("variants") or []
    slugs = {v.get("template") for v in variants if v.get("template")}
    templates = {t.slug: t for t in EmailTemplate.objects.filter(slug__in=slugs)}
    return {
        chr(ord("A") + index): (
            templates.get(variant.get("template"), campaign.template),
            variant.get("subject", campaign.subject),
        )
        for index, variant in enumerate(variants)
    }


def settle(send_ids: list[int]) -> None:
    """Copy the outcome of each send's delivery onto the send: one statement."""
    table, deliveries = CampaignSend._meta.db_table, EmailDelivery._meta.db_table
    outcome = (
        "CASE WHEN d.status IN ('sent', 'delivered', 'bounced', 'complained') THEN 'sent' "
        "WHEN d.status = 'skipped' THEN 'skipped' WHEN d.status = 'failed' THEN 'failed' "
        "ELSE s.status END"
    )
    placeholders = ", ".join(["%s"] * len(send_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS s SET status = {outcome}, sent_at = d.sent_at "  # noqa: S608 (names from code)
            f"FROM {deliveries} AS d WHERE d.id = s.delivery_id AND s.id IN ({placeholders})",
            send_ids,
        )


def _after_last_chunk(campaign: Campaign, now: datetime) -> datetime | None:
    """Nothing due now: wait for the next local send time, or for stale chunks to be
    taken up; or mark the campaign sent (an A/B test waits for its decision)."""
    left = CampaignSend.objects.filter(campaign=campaign)
    upcoming = (
        left.filter(status=SendStatus.PENDING).order_by("due_at").values_list("due_at", flat=True)
    ).first()
    if upcoming is not None:
        return max(upcoming, now)
    if left.filter(UNSENT).exists():
        return now + stale_after() / 2
    if (
        campaign.status == CampaignStatus.SENDING
        and not left.filter(status=SendStatus.HELD).exists()
    ):
        Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.SENDING).update(
            status=CampaignStatus.SENT, finished_at=now, updated_at=now
        )
    return None
