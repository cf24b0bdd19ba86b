"""Discount codes: handed out once each, from a pool the shop's platform exported or
generated here, announced on the bus, and marked used when an order names them.

A setting says where a code comes from (a workflow's `settings.discount`, or a step's
`discount`):

    {"pool": "Winter codes"}                                     a pool's next code
    {"percentOff": 15, "expiresIn": "7d", "prefix": "CART"}     generated, 15% off
    {"amountOff": 5, "currency": "EUR"}                          generated, 5.00 EUR off
    {}                                                            generated, the defaults

Each issue carries an idempotency key (a workflow run's), so a retried step gets the
code it got before, and each code goes to one run only: pool codes are taken with
`FOR UPDATE SKIP LOCKED`, so concurrent runs never share one.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings as django_settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Upper

from analytics.services import store_events
from analytics.validation import EventInput
from benchbarrier import clock
from benchbarrier.durations import parse_duration
from benchbarrier.models import NotificationLevel
from benchbarrier.services.audit import Actor, record_audit
from benchbarrier.services.spend import notify
from marketing.models import Customer, DiscountCode, DiscountKind, DiscountPool

SETTING_KEYS = {"pool", "percentOff", "amountOff", "currency", "expiresIn", "prefix"}
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes are typed by people
_PREFIX = re.compile(r"^[A-Z0-9-]{0,20}$")


class DiscountUnavailable(Exception):
    """No code can be issued (the pool ran dry, or names no pool)."""


# --- settings ----------------------------------------------------------------------------


def setting_errors(value: Any, path: str) -> list[tuple[str, str]]:
    """Problems with a discount setting, each named by its path."""
    if not isinstance(value, dict):
        return [(path, 'an object: {"pool": "<name>"} or {"percentOff": 10, "expiresIn": "7d"}')]
    errors = [(f"{path}.{key}", "unknown key") for key in sorted(set(value) - SETTING_KEYS)]
    if "pool" in value:
        if set(value) - {"pool"}:
            errors.append((path, "a pool's codes come as the platform made them: give only pool"))
        elif not DiscountPool.objects.filter(name=value["pool"]).exists():
            errors.append((f"{path}.pool", f'no discount pool named "{value["pool"]}"'))
        return errors
    if "percentOff" in value and "amountOff" in value:
        errors.append((path, "percentOff or amountOff, not both"))
    percent = value.get("percentOff")
    if percent is not None and not (_number(percent) and 0 < Decimal(str(percent)) <= 100):
        errors.append((f"{path}.percentOff", "a number above 0, at most 100"))
    amount = value.get("amountOff")
    if amount is not None:
        if not (_number(amount) and Decimal(str(amount)) > 0):
            errors.append((f"{path}.amountOff", "a number above 0"))
        if not re.fullmatch(r"[A-Z]{3}", str(value.get("currency", ""))):
            errors.append((f"{path}.currency", 'the currency of amountOff, like "EUR"'))
    if "expiresIn" in value:
        try:
            parse_duration(value["expiresIn"])
        except (ValueError, TypeError):
            errors.append((f"{path}.expiresIn", 'a duration like "48h" or "7d"'))
    if not _PREFIX.match(str(value.get("prefix", ""))):
        errors.append((f"{path}.prefix", "up to 20 capital letters, digits or dashes"))
    return errors


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# --- issuing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    user_id: str = ""
    customer: Customer | None = None
    source: str = ""
    idempotency_key: str = ""


def issue_discount(*, setting: dict[str, Any], to: Recipient) -> DiscountCode:
    """The code for `to` (the same one again for the same idempotency key). Raises
    DiscountUnavailable when the pool has no code left (and raises a notification)."""
    if to.idempotency_key:
        existing = DiscountCode.objects.filter(idempotency_key=to.idempotency_key).first()
        if existing is not None:
            return existing
    now = clock.now()
    pool = None
    if "pool" in setting:
        pool = DiscountPool.objects.filter(name=setting["pool"]).first()
        if pool is None:
            raise DiscountUnavailable(f'no discount pool named "{setting["pool"]}"')
    try:
        with transaction.atomic():
            code = _take_from_pool(pool, to, now) if pool else _generate(setting, to, now)
            if code is not None:
                store_events([_issued_event(code, now)])
    except IntegrityError:
        if to.idempotency_key:  # a concurrent issue for the same run won
            return DiscountCode.objects.get(idempotency_key=to.idempotency_key)
        raise
    if code is None:
        _pool_empty(pool, to, now)
    return code


def _pool_empty(pool: DiscountPool, to: Recipient, now: datetime) -> None:
    notify(
        key=f"discount.pool_empty:{pool.pk}:{now:%Y-%m-%d}",
        kind="discount.pool_empty",
        level=NotificationLevel.CRITICAL,
        message=f'The discount pool "{pool.name}" has no codes left: import more '
        "(Marketing > Discount pools > Import codes) or let the workflow generate codes.",
        details={"pool": pool.name, "for": to.source},
    )
    raise DiscountUnavailable(f'the discount pool "{pool.name}" has no codes left')


def _take_from_pool(pool: DiscountPool, to: Recipient, now: datetime) -> DiscountCode | None:
    """The pool's next waiting code, taken for `to` (None when there is none): locked
    rows are skipped, so concurrent runs each get their own."""
    code = (
        DiscountCode.objects.select_for_update(skip_locked=True)
        .filter(pool=pool, issued_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .order_by("id")
        .first()
    )
    if code is None:
        return None
    _hand_out(code, to, now)
    code.save(update_fields=["customer", "user_id", "issued_at", "source", "idempotency_key"])
    return code


def _generate(setting: dict[str, Any], to: Recipient, now: datetime) -> DiscountCode:
    amount = setting.get("amountOff")
    percent = setting.get("percentOff", None if amount else django_settings.DISCOUNT_PERCENT_OFF)
    expires = setting.get("expiresIn", django_settings.DISCOUNT_EXPIRES_IN)
    prefix = setting.get("prefix", django_settings.DISCOUNT_CODE_PREFIX)
    code = DiscountCode(
        kind=DiscountKind.AMOUNT if amount else DiscountKind.PERCENT,
        value=Decimal(str(amount or percent)),
        currency=setting.get("currency", "") if amount else "",
        expires_at=now + parse_duration(expires) if expires else None,
    )
    _hand_out(code, to, now)
    for _ in range(5):  # a clash in 32^8 codes is rare; try another
        code.code = prefix + "".join(secrets.choice(_ALPHABET) for _ in range(8))
        try:
            with transaction.atomic():
                code.save(force_insert=True)
            return code
        except IntegrityError:
            if (
                to.idempotency_key
                and DiscountCode.objects.filter(idempotency_key=to.idempotency_key).exists()
            ):
                raise
            code.pk = None
    raise DiscountUnavailable("could not make a unique code; use a longer prefix")


def _hand_out(code: DiscountCode, to: Recipient, now: datetime) -> None:
    code.customer = to.customer
    code.user_id = to.user_id or (to.customer.external_id or "" if to.customer else "")
    code.issued_at = now
    code.source = to.source[:200]
    code.idempotency_key = to.idempotency_key or None


def _issued_event(code: DiscountCode, now: datetime) -> EventInput:
    """`discount.issued`, so the shop's site can honour the code."""
    return EventInput(
        event_name="discount.issued",
        user_id=code.user_id or None,
        session_id=None,
        message_id=f"discount.issued:{code.pk}",
        timestamp=now,
        properties={
            "code": code.code,
            "kind": code.kind,
            "value": f"{code.value:.2f}",
            "currency": code.currency,
            "expiresAt": code.expires_at.isoformat() if code.expires_at else None,
            "pool": code.pool.name if code.pool_id else None,
            "source": code.source,
        },
    )


def template_values(code: DiscountCode) -> dict[str, Any]:
    """What a template sees as `discount`: `code`, `percent` or `amount` and
    `currency`, `expires` (a date for people) and `expiresAt`."""
    values: dict[str, Any] = {"code": code.code, "kind": code.kind}
    if code.kind == DiscountKind.PERCENT:
        values["percent"] = format(code.value.normalize(), "f")  # 10.00 -> "10"
    else:
        values["amount"] = str(code.value)
        values["currency"] = code.currency
    if code.expires_at:
        values["expires"] = f"{code.expires_at:%-d %B %Y}"
        values["expiresAt"] = code.expires_at.isoformat()
    return values


# --- used by orders ----------------------------------------------------------------------


def codes_of_order(properties: dict[str, Any]) -> list[str]:
    """The discount codes an `order.completed` names: `discountCode`, `discountCodes`
    (a list) or `couponCode`."""
    found = properties.get("discountCodes")
    codes = list(found) if isinstance(found, list) else []
    for key in ("discountCode", "couponCode"):
        if isinstance(properties.get(key), str):
            codes.append(properties[key])
    return [c.strip().upper() for c in codes if isinstance(c, str) and c.strip()]


def mark_used(orders: list[tuple[list[str], str, datetime]]) -> int:
    """Record that orders (codes, order id, when) used their codes: the first order to
    use a code keeps it. Two queries for any number of orders; returns codes marked."""
    wanted = {code for codes, _, _ in orders for code in codes}
    if not wanted:
        return 0
    waiting = {
        c.code.upper(): c
        for c in DiscountCode.objects.annotate(upper=Upper("code")).filter(
            upper__in=wanted, used_at__isnull=True
        )
    }
    changed = []
    for codes, order_id, when in sorted(orders, key=lambda o: o[2]):
        for code in codes:
            found = waiting.pop(code, None)
            if found is not None:
                found.used_at, found.order_id = when, order_id[:100]
                changed.append(found)
    DiscountCode.objects.bulk_update(changed, ["used_at", "order_id"])
    return len(changed)


# --- pools ---------------------------------------------------------------------------------


@dataclass
class PoolImport:
    added: int = 0
    already_there: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def import_pool_csv(*, pool: DiscountPool, data: bytes | str, actor: Actor) -> PoolImport:
    """Add the codes of a CSV the platform exported: a header row with a `code` column
    (or `name`, `discount code`), optionally `expires_at` (or `ends at`); each code once.
    Codes already known are listed, not added again; bad rows are listed with why."""
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    reader = csv.DictReader(io.StringIO(text))
    columns = {(name or "").strip().lower().replace("_", " "): name
               for name in reader.fieldnames or []}  # fmt: skip
    code_column = next((columns[c] for c in ("code", "discount code", "name") if c in columns),
                       None)  # fmt: skip
    if code_column is None:
        raise ValueError('the first row must name a "code" column')
    expiry_column = next((columns[c] for c in ("expires at", "ends at") if c in columns), None)
    result, rows, seen = PoolImport(), [], set()
    for number, row in enumerate(reader, start=2):
        code = (row.get(code_column) or "").strip()
        if not code or len(code) > 64:
            result.problems.append(f"row {number}: no code, or longer than 64 characters")
            continue
        if code.upper() in seen:
            result.already_there.append(code)
            continue
        seen.add(code.upper())
        expires = _expiry((row.get(expiry_column) or "").strip() if expiry_column else "")
        if expires is False:
            result.problems.append(f"row {number}: expiry is not a date")
            continue
        rows.append(DiscountCode(code=code, pool=pool, kind=pool.kind, value=pool.value,
                                 currency=pool.currency, expires_at=expires))  # fmt: skip
    known = set(
        DiscountCode.objects.annotate(upper=Upper("code"))
        .filter(upper__in=[r.code.upper() for r in rows])
        .values_list("upper", flat=True)
    )
    fresh = [r for r in rows if r.code.upper() not in known]
    result.already_there += [r.code for r in rows if r.code.upper() in known]
    with transaction.atomic():
        DiscountCode.objects.bulk_create(fresh, batch_size=1000)
        record_audit(action="discount_pool.imported", target=pool,
                     changes={"added": len(fresh), "alreadyThere": len(result.already_there),
                              "problems": len(result.problems)}, actor=actor)  # fmt: skip
    result.added = len(fresh)
    return result


def _expiry(value: str) -> datetime | bool | None:
    """A date or datetime from the CSV (None when empty, False when not a date)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=clock.now().tzinfo)
    return parsed


def pool_counts(pool: DiscountPool) -> dict[str, int]:
    codes = pool.codes.all()
    return {
        "waiting": codes.filter(issued_at__isnull=True).count(),
        "issued": codes.filter(issued_at__isnull=False).count(),
        "used": codes.filter(used_at__isnull=False).count(),
    }
