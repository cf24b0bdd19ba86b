"""Segments: save (rules validated), refresh membership in SQL, static members.

A refresh inserts who joined and deletes who left in two statements, recounts, and
publishes `segment.entered` / `segment.exited` on the event bus for exactly the
customers who changed.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet

from analytics.services import store_events
from analytics.validation import EventInput
from benchbarrier import clock
from benchbarrier.rules import RuleError
from benchbarrier.services.audit import Actor, record_audit
from jobs.services import enqueue
from marketing.models import Customer, Segment, SegmentKind, SegmentMember
from marketing.rules import customers_matching, parse_customer_rules

PREVIEW_SAMPLE = 10
# Customer ids per `IN (...)` list when reading who changed.
_ID_CHUNK = 5000


class SegmentError(RuleError):
    """Invalid segment input (its rules, kind or members file); `errors` holds
    (field path, message) pairs, like the rule language's own errors."""


@dataclass(frozen=True)
class RefreshResult:
    joined: int
    left: int
    member_count: int
    duration_ms: int


@dataclass(frozen=True)
class Preview:
    count: int
    sample: list[Customer]


def validate_rules(kind: str, rules: Any) -> None:
    """Raises SegmentError naming each bad rule (`rules[2].operator: ...`)."""
    if kind == SegmentKind.STATIC:
        if rules:
            raise SegmentError([("rules", "a static segment has no rules; use kind dynamic")])
        return
    try:
        parse_customer_rules(rules)
    except RuleError as exc:
        raise SegmentError(exc.errors) from exc


def save_segment(
    *,
    segment: Segment | None = None,
    actor: Actor | None = None,
    request: Any = None,
    **fields: Any,
) -> Segment:
    """Create or update a segment; a dynamic one is queued for a refresh on commit."""
    segment = segment or Segment()
    created = segment.pk is None
    for name, value in fields.items():
        setattr(segment, name, value)
    validate_rules(segment.kind, segment.rules)
    segment.updated_at = clock.now()
    with transaction.atomic():
        segment.save()
        record_audit(
            action="segment.created" if created else "segment.updated",
            target=segment,
            changes={key: value for key, value in fields.items() if key != "description"},
            actor=actor,
            request=request,
        )
        if segment.kind == SegmentKind.DYNAMIC:
            queue_refresh(segment)
    return segment


def delete_segment(*, segment: Segment, actor: Actor | None = None, request: Any = None) -> None:
    with transaction.atomic():
        record_audit(
            action="segment.deleted",
            target=segment,
            changes={"name": segment.name},
            actor=actor,
            request=request,
        )
        segment.delete()


def queue_refresh(segment: Segment) -> None:
    """Refresh through the durable queue; one job per segment and minute at most."""
    minute = clock.now().strftime("%Y%m%dT%H%M")
    version = int(segment.updated_at.timestamp())
    enqueue(
        job_type="segment.refresh",
        payload={"segmentId": segment.pk},
        idempotency_key=f"segment.refresh:{segment.pk}:{version}:{minute}",
    )


def queue_due_refreshes() -> int:
    """Queue a refresh of every dynamic segment (the beat task)."""
    segments = list(Segment.objects.filter(kind=SegmentKind.DYNAMIC))
    for segment in segments:
        queue_refresh(segment)
    return len(segments)


def preview_segment(rules: Any, *, sample: int = PREVIEW_SAMPLE) -> Preview:
    """How many customers the rules match now, and a few of them; nothing is saved."""
    validate_rules(SegmentKind.DYNAMIC, rules)
    matching = customers_matching(parse_customer_rules(rules))
    return Preview(matching.count(), list(matching.order_by("-last_seen", "-id")[:sample]))


def refresh_segment(*, segment: Segment, now: datetime | None = None) -> RefreshResult:
    """Bring a dynamic segment's members in line with its rules, in SQL.

    Runs under a lock on the segment row, so two refreshes of one segment never
    interleave. Publishes segment.entered / segment.exited after commit.
    """
    started = time.perf_counter()
    now = now or clock.now()
    with transaction.atomic():
        segment = Segment.objects.select_for_update().get(pk=segment.pk)
        if segment.kind != SegmentKind.DYNAMIC:
            raise SegmentError([("kind", "only dynamic segments are refreshed from rules")])
        matching = customers_matching(parse_customer_rules(segment.rules), now)
        joined, left = _sync_members(segment, matching, now)
        member_count = segment.memberships.count()
        duration_ms = round((time.perf_counter() - started) * 1000)
        Segment.objects.filter(pk=segment.pk).update(
            member_count=member_count, last_refreshed_at=now, last_refresh_ms=duration_ms
        )
        _publish(segment, "segment.entered", joined, now)
        _publish(segment, "segment.exited", left, now)
    return RefreshResult(len(joined), len(left), member_count, duration_ms)


def _sync_members(
    segment: Segment, matching: QuerySet[Customer], now: datetime
) -> tuple[list[int], list[int]]:
    members = SegmentMember._meta.db_table
    select_sql, select_params = matching.values("id").query.sql_with_params()
    joined_at = connection.ops.adapt_datetimefield_value(now)
    insert = (
        f"INSERT INTO {members} (segment_id, customer_id, joined_at) "  # noqa: S608 (names from model meta, values as parameters)
        f"SELECT %s, m.id, %s FROM ({select_sql}) m "
        f"WHERE NOT EXISTS (SELECT 1 FROM {members} s "
        "WHERE s.segment_id = %s AND s.customer_id = m.id) "
        "RETURNING customer_id"
    )
    delete = (
        f"DELETE FROM {members} WHERE segment_id = %s "  # noqa: S608 (names from model meta, values as parameters)
        f"AND customer_id NOT IN ({select_sql}) RETURNING customer_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(insert, [segment.pk, joined_at, *select_params, segment.pk])
        joined = [row[0] for row in cursor.fetchall()]
        cursor.execute(delete, [segment.pk, *select_params])
        left = [row[0] for row in cursor.fetchall()]
    return joined, left


def _publish(segment: Segment, name: str, customer_ids: list[int], now: datetime) -> None:
    if not customer_ids:
        return
    stamp = now.strftime("%Y%m%dT%H%M%S%f")
    events = []
    for start in range(0, len(customer_ids), _ID_CHUNK):
        chunk = customer_ids[start : start + _ID_CHUNK]
        for pk, external_id in Customer.objects.filter(pk__in=chunk).values_list(
            "pk", "external_id"
        ):
            events.append(
                EventInput(
                    event_name=name,
                    user_id=external_id,
                    session_id=None,
                    message_id=f"{name}:{segment.pk}:{pk}:{stamp}",
                    timestamp=now,
                    properties={
                        "segmentId": segment.pk,
                        "segmentName": segment.name,
                        "customerId": pk,
                    },
                )
            )
    store_events(events, now=now)


# --- static segments ---------------------------------------------------------------


def add_members(
    *, segment: Segment, customers: Iterable[Customer], actor: Actor, request: Any = None
) -> int:
    """Add customers to a static segment; returns how many were new."""
    _require_static(segment)
    now = clock.now()
    rows = [SegmentMember(segment=segment, customer=c, joined_at=now) for c in customers]
    with transaction.atomic():
        before = segment.memberships.count()
        SegmentMember.objects.bulk_create(rows, ignore_conflicts=True)
        count = segment.memberships.count()
        Segment.objects.filter(pk=segment.pk).update(member_count=count, last_refreshed_at=now)
        record_audit(
            action="segment.members_added",
            target=segment,
            changes={"added": count - before},
            actor=actor,
            request=request,
        )
    segment.member_count = count
    return count - before


def remove_members(
    *, segment: Segment, customers: Iterable[Customer], actor: Actor, request: Any = None
) -> int:
    _require_static(segment)
    with transaction.atomic():
        removed, _ = segment.memberships.filter(customer__in=list(customers)).delete()
        count = segment.memberships.count()
        Segment.objects.filter(pk=segment.pk).update(member_count=count)
        record_audit(
            action="segment.members_removed",
            target=segment,
            changes={"removed": removed},
            actor=actor,
            request=request,
        )
    segment.member_count = count
    return removed


@dataclass(frozen=True)
class CsvImport:
    added: int
    matched: int
    unknown: list[str]


def import_members_csv(
    *, segment: Segment, data: bytes | str, actor: Actor, request: Any = None
) -> CsvImport:
    """Add the customers a CSV names (an `email` and/or `external_id` column, header
    row required). Rows naming nobody are listed in `unknown`, not created."""
    _require_static(segment)
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    reader = csv.DictReader(io.StringIO(text))
    columns = {(name or "").strip().lower().replace("externalid", "external_id"): name
               for name in reader.fieldnames or []}  # fmt: skip
    if "email" not in columns and "external_id" not in columns:
        raise SegmentError(
            [("file", 'the first row must name an "email" or "external_id" column')]
        )
    emails, external_ids, keys = set(), set(), []
    for row in reader:
        email = (row.get(columns.get("email", ""), "") or "").strip().lower()
        external_id = (row.get(columns.get("external_id", ""), "") or "").strip()
        keys.append((email, external_id))
        emails.add(email)
        external_ids.add(external_id)
    found = list(
        Customer.objects.filter(email__in=emails - {""}).union(
            Customer.objects.filter(external_id__in=external_ids - {""})
        )
    )
    known_emails = {c.email for c in found}
    known_ids = {c.external_id for c in found}
    unknown = [
        email or external_id
        for email, external_id in keys
        if (email or external_id) and email not in known_emails and external_id not in known_ids
    ]
    added = add_members(segment=segment, customers=found, actor=actor, request=request)
    return CsvImport(added=added, matched=len(found), unknown=unknown)


def _require_static(segment: Segment) -> None:
    if segment.kind != SegmentKind.STATIC:
        raise SegmentError([("kind", "members of a dynamic segment come from its rules")])
