"""Customer stats kept up to date from the event bus, one statement per batch.

Each batch is folded in Python into one row per user, then upserted: counters add,
`first_seen` keeps the earliest time and the `last_*` fields the latest. Adding and
min/max do not depend on order, so events arriving out of order give the same stats;
resent events never reach the bus (their messageId was stored before), so nothing is
counted twice.

What counts (see the event catalogue in the README):
- any event with a userId: first_seen, last_seen (a new userId creates the customer);
- `user.login`: last_login; `product.viewed`: product_views;
- `order.completed`: order_count, total_spent += properties.total, last_order_at;
- `order.refunded`: total_spent -= properties.amount;
- `email.sent` / `email.opened` / `email.clicked`: the counters behind email_engagement;
- `user.created` with properties.email / name / emailOptIn: fills an empty email and
  name, and records a signup opt-in (`emailOptIn: true`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import connection, transaction

from benchbarrier import clock
from benchbarrier.bulk_sql import insert_rows
from benchbarrier.events import BusEvent
from marketing.models import Customer

# Users per upsert: an ingestion batch (at most 1,000 events) is one statement; the
# rare bigger batch (a segment refresh) is split to stay under drivers' parameter limits.
USERS_PER_STATEMENT = 1000


@dataclass(slots=True)
class _Row:
    first_seen: datetime
    last_seen: datetime
    last_login: datetime | None = None
    last_order_at: datetime | None = None
    order_count: int = 0
    total_spent: Decimal = Decimal(0)
    product_views: int = 0
    emails_sent: int = 0
    emails_opened: int = 0
    emails_clicked: int = 0


_COUNTERS = ("order_count", "total_spent", "product_views", "emails_sent", "emails_opened",
             "emails_clicked")  # fmt: skip
_EARLIEST = ("first_seen",)
_LATEST = ("last_seen", "last_login", "last_order_at")


def apply_events(events: list[BusEvent]) -> int:
    """Fold a batch of stored events into customer stats; returns the users touched.

    One upsert per 1,000 users (so one per ingestion batch)."""
    rows: dict[str, _Row] = {}
    profiles: dict[str, dict[str, Any]] = {}
    for event in events:
        if not event.user_id:
            continue
        row = rows.get(event.user_id)
        ts = event.timestamp
        if row is None:
            row = rows[event.user_id] = _Row(first_seen=ts, last_seen=ts)
        else:
            row.first_seen = min(row.first_seen, ts)
            row.last_seen = max(row.last_seen, ts)
        _count(row, event)
        if event.event_name == "user.created":
            profiles[event.user_id] = _profile(event.properties)
    if not rows:
        return 0
    # Sorted, so concurrent batches lock the same customers in the same order (no
    # deadlocks between two web processes upserting overlapping users).
    users = sorted(rows.items())
    with transaction.atomic():
        for start in range(0, len(users), USERS_PER_STATEMENT):
            _upsert(dict(users[start : start + USERS_PER_STATEMENT]))
        if profiles:
            _fill_profiles(profiles)
    return len(rows)


def _count(row: _Row, event: BusEvent) -> None:
    name, ts = event.event_name, event.timestamp
    if name == "user.login":
        row.last_login = _latest(row.last_login, ts)
    elif name == "product.viewed":
        row.product_views += 1
    elif name == "order.completed":
        row.order_count += 1
        row.total_spent += _money(event.properties.get("total"))
        row.last_order_at = _latest(row.last_order_at, ts)
    elif name == "order.refunded":
        row.total_spent -= _money(event.properties.get("amount"))
    elif name == "email.sent":
        row.emails_sent += 1
    elif name == "email.opened":
        row.emails_opened += 1
    elif name == "email.clicked":
        row.emails_clicked += 1


def _latest(current: datetime | None, ts: datetime) -> datetime:
    return ts if current is None else max(current, ts)


def _money(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return Decimal(0)
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation:
        return Decimal(0)
    return amount if amount.is_finite() and abs(amount) < Decimal("1e11") else Decimal(0)


def _profile(properties: dict[str, Any]) -> dict[str, Any]:
    profile = {}
    email = properties.get("email")
    if isinstance(email, str) and "@" in email and len(email) <= 254:
        profile["email"] = email.strip().lower()
    name = properties.get("name")
    if isinstance(name, str) and name.strip():
        profile["name"] = name.strip()[:200]
    if properties.get("emailOptIn") is True:
        profile["email_opt_in"] = True
    return profile


_COLUMNS = [
    ("external_id", "text"), ("first_seen", "timestamptz"), ("last_seen", "timestamptz"),
    ("last_login", "timestamptz"), ("last_order_at", "timestamptz"), ("order_count", "integer"),
    ("total_spent", "numeric"), ("product_views", "integer"), ("emails_sent", "integer"),
    ("emails_opened", "integer"), ("emails_clicked", "integer"),
    ("email_engagement", "double precision"), ("created_at", "timestamptz"),
    ("updated_at", "timestamptz"),
]  # fmt: skip
# Columns a new customer needs that events do not fill: the model's defaults.
_DEFAULTS = {"traits": "'{}'", "timezone": "'UTC'", "name": "''", "phone": "''",
             "locale": "''", "email_opt_in": "false", "email_opt_in_source": "''",
             "sms_opt_in": "false", "sms_opt_in_source": "''"}  # fmt: skip


def _upsert(rows: dict[str, _Row]) -> None:
    pg = connection.vendor == "postgresql"
    least, greatest = ("LEAST", "GREATEST") if pg else ("MIN", "MAX")
    table = Customer._meta.db_table
    now = clock.now()
    values = [
        (user_id, row.first_seen, row.last_seen, row.last_login, row.last_order_at,
         row.order_count, row.total_spent, row.product_views, row.emails_sent,
         row.emails_opened, row.emails_clicked,
         _engagement(row.emails_sent, row.emails_opened, row.emails_clicked), now, now)
        for user_id, row in rows.items()
    ]  # fmt: skip
    defaults = {**_DEFAULTS, "traits": "'{}'::jsonb" if pg else "'{}'"}

    def keep(func: str, name: str) -> str:
        old, new = f"{table}.{name}", f"EXCLUDED.{name}"
        return f"{name} = {func}(COALESCE({old}, {new}), COALESCE({new}, {old}))"

    updates = [keep(least, name) for name in _EARLIEST]
    updates += [keep(greatest, name) for name in _LATEST]
    updates += [f"{name} = {table}.{name} + EXCLUDED.{name}" for name in _COUNTERS]
    total = {name: f"({table}.{name} + EXCLUDED.{name})" for name in _COUNTERS}
    updates.append(
        "email_engagement = "
        + _engagement_sql(
            total["emails_sent"], total["emails_opened"], total["emails_clicked"], least
        )
    )
    updates.append("updated_at = EXCLUDED.updated_at")
    insert_rows(
        table,
        _COLUMNS,
        values,
        constants=defaults,
        on_conflict=f"ON CONFLICT (external_id) DO UPDATE SET {', '.join(updates)}",
        order_by="external_id",
        staged=len(values) > 100,  # a few users go as plain VALUES, no COPY round trips
    )


def _engagement(sent: int, opened: int, clicked: int) -> float:
    return min(1.0, (opened + clicked) / (2.0 * sent)) if sent else 0.0


def _engagement_sql(sent: str, opened: str, clicked: str, least: str) -> str:
    return (
        f"CASE WHEN {sent} > 0 THEN {least}(1.0, ({opened} + {clicked}) / (2.0 * {sent})) "
        "ELSE 0 END"
    )


def _fill_profiles(profiles: dict[str, dict[str, Any]]) -> None:
    """Email and name from `user.created`, only where the customer has none yet and the
    email is not someone else's (identify through the API is the authority)."""
    now = clock.now()
    customers = list(Customer.objects.filter(external_id__in=list(profiles)))
    wanted = {p["email"] for p in profiles.values() if "email" in p}
    taken = set(Customer.objects.filter(email__in=wanted).values_list("email", flat=True))
    changed = []
    for customer in customers:
        profile = profiles[customer.external_id]
        email = profile.get("email")
        touched = False
        if email and not customer.email and email not in taken:
            customer.email = email
            taken.add(email)
            touched = True
        if profile.get("name") and not customer.name:
            customer.name = profile["name"]
            touched = True
        if profile.get("email_opt_in") and not customer.email_opt_in and customer.email:
            customer.email_opt_in = True
            customer.email_opt_in_at = now
            customer.email_opt_in_source = "signup"
            touched = True
        if touched:
            changed.append(customer)
    Customer.objects.bulk_update(
        changed, ["email", "name", "email_opt_in", "email_opt_in_at", "email_opt_in_source"]
    )
