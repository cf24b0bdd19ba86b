"""Who a broadcast reaches: the segment's members who can receive it (an address,
marketing consent, no suppression of the address, of marketing or of the template's
category), counted for the preview and frozen into `campaign_sends` at launch.

Freezing resolves the audience once, in SQL, and writes one send per customer: later
changes to the segment change nothing about a campaign already launched. An A/B test
splits a seeded random share of it evenly into variants and holds the rest back for
the winner; "at 10:00 in each customer's time zone" gives each send its own due time.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Exists, Max, OuterRef, Q, QuerySet

from benchbarrier.bulk_sql import insert_rows, update_rows
from marketing import channels
from marketing.campaigns.models import Campaign, CampaignSend, SendStatus
from marketing.models import Customer, EmailTemplate, Segment, SegmentMember, Suppression


@dataclass(frozen=True)
class AudienceSize:
    in_segment: int
    can_receive: int
    channel: str = "email"

    def __str__(self) -> str:
        return f"{self.in_segment:,} in segment, {self.can_receive:,} can receive {self.channel}"


def reachable(segment: Segment, template: EmailTemplate | None) -> QuerySet[Customer]:
    """The segment's members who can receive the template's email now."""
    members = _members(segment)
    blocked = Q(scope="all") | Q(scope="marketing")
    if template is not None:
        blocked |= Q(scope="category", category=template.category)
    transactional = template is not None and template.kind == "transactional"
    can = members.exclude(email__isnull=True).exclude(email="")
    if not transactional:
        can = can.filter(email_opt_in=True)
        return can.exclude(Exists(Suppression.objects.filter(blocked, email=OuterRef("email"))))
    return can.exclude(Exists(Suppression.objects.filter(scope="all", email=OuterRef("email"))))


def audience_size(segment: Segment, template: EmailTemplate | None) -> AudienceSize:
    return AudienceSize(segment.memberships.count(), reachable(segment, template).count())


def size_of(campaign: Campaign) -> AudienceSize:
    """The campaign's audience now, for its channel."""
    channel = channels.get(campaign.type)
    if channel is None or channel.name == "email":
        return audience_size(campaign.segment, campaign.template)
    members = _members(campaign.segment)
    return AudienceSize(members.count(), channel.reachable(members).count(), channel.label)


def _members(segment: Segment) -> QuerySet[Customer]:
    return Customer.objects.filter(
        Exists(SegmentMember.objects.filter(segment=segment, customer=OuterRef("pk")))
    )


def freeze(campaign: Campaign, now: datetime) -> int:
    """Write the campaign's sends (once: a second call adds nobody); returns how many."""
    # An SMS or push campaign freezes every member: who cannot receive it (no consent,
    # no valid number, a STOP reply, no browser) is skipped, with the reason on its message.
    people = list(
        (reachable(campaign.segment, campaign.template) if campaign.type == "email" else
         _members(campaign.segment)).values_list("pk", "timezone")
    )  # fmt: skip
    variants = _variants(campaign, [pk for pk, _ in people])
    times = _local_times(campaign)
    rows = [
        (campaign.pk, pk, 0, variant, status, _due(now, times.get(variant), zone), now, "{}", 0)
        for pk, zone in people
        for variant, status in [variants.get(pk, ("", SendStatus.PENDING))]
    ]
    inserted = insert_rows(
        CampaignSend._meta.db_table,
        [
            ("campaign_id", "bigint"),
            ("customer_id", "bigint"),
            ("step", "integer"),
            ("variant", "text"),
            ("status", "text"),
            ("due_at", "timestamptz"),
            ("created_at", "timestamptz"),
            ("metadata", "jsonb"),
            ("revenue", "numeric"),
        ],
        rows,
        on_conflict="ON CONFLICT (campaign_id, customer_id, step) DO NOTHING",
        returning="id",
    )
    return len(inserted)


def _local_times(campaign: Campaign) -> dict[str, str | None]:
    """The local time each variant is sent at ("" for everyone not in the test): a
    variant's own `localTime` (a send-time test), else the campaign's."""
    local = (campaign.schedule_config or {}).get("localTime")
    variants = (campaign.ab_test or {}).get("variants") or []
    names = string.ascii_uppercase
    return {"": local, **{names[i]: v.get("localTime") or local for i, v in enumerate(variants)}}


def last_tested(campaign: Campaign, now: datetime) -> datetime:
    """When the last test send is due (a send-time test waits for its latest variant)."""
    latest = CampaignSend.objects.filter(campaign=campaign, status=SendStatus.PENDING).aggregate(
        latest=Max("due_at")
    )["latest"]
    return max(latest or now, now)


def release_held(campaign: Campaign, winner: str, now: datetime) -> int:
    """Everyone held back gets the winner: now, or at the winner's local time."""
    local = _local_times(campaign).get(winner)
    held = CampaignSend.objects.filter(campaign=campaign, status=SendStatus.HELD)
    if not local:
        return held.update(variant=winner, status=SendStatus.PENDING, due_at=now)
    rows = [
        (winner, SendStatus.PENDING, _due(now, local, zone), pk)
        for pk, zone in held.values_list("pk", "customer__timezone")
    ]
    update_rows(CampaignSend._meta.db_table, ["variant", "status", "due_at"], rows)
    return len(rows)


def _variants(campaign: Campaign, people: list[int]) -> dict[int, tuple[str, str]]:
    """A/B test: a seeded random `testShare` of the audience, split evenly into the
    variants (A, B...); everyone else held for the winner. No test: {}."""
    test = campaign.ab_test or {}
    variants = test.get("variants") or []
    if len(variants) < 2:
        return {}
    shuffled = sorted(people)
    random.Random(f"campaign:{campaign.pk}").shuffle(shuffled)  # noqa: S311 (seeded, not secret)
    share = float(test.get("testShare", 0.2))
    tested = shuffled[: max(len(variants), round(len(shuffled) * share))]
    names = string.ascii_uppercase[: len(variants)]
    assigned = {pk: (names[i % len(names)], SendStatus.PENDING) for i, pk in enumerate(tested)}
    for pk in shuffled[len(tested) :]:
        assigned[pk] = ("", SendStatus.HELD)
    return assigned


def _due(now: datetime, local: str | None, zone: str) -> datetime:
    """Now, or the next `local` time ("10:00") in the customer's time zone."""
    if not local:
        return now
    hour, minute = (int(part) for part in local.split(":"))
    try:
        tz = ZoneInfo(zone or "UTC")
    except (KeyError, ValueError):
        tz = ZoneInfo("UTC")
    here = now.astimezone(tz)
    due = datetime.combine(here.date(), time(hour, minute), tzinfo=tz)
    if due <= here:
        due += timedelta(days=1)
    return due
