"""Identify: create or update customers from the site or an import, by site user id or
email, in a few set-based queries however many customers arrive."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from benchbarrier import clock
from benchbarrier.services.audit import Actor, record_audit
from marketing.models import Customer

PROFILE_FIELDS = ("external_id", "email", "name", "phone", "timezone", "locale")
CONSENT_CHANNELS = ("email", "sms")


class CustomerConflict(ValueError):
    """The identifiers given point at two different customers (or one that is taken)."""

    def __init__(self, index: int, field: str, message: str) -> None:
        self.index, self.field = index, field
        super().__init__(message)


@dataclass(frozen=True)
class Upserted:
    customer: Customer
    created: bool


def upsert_customers(
    items: list[dict[str, Any]], *, actor: Actor | None = None, request: Any = None
) -> list[Upserted]:
    """Create or update one customer per item (validated input, snake_case keys).

    An item is matched by `external_id`, else by `email` (case-insensitive); a customer
    known only by email gets the external id. Given fields overwrite, `traits` merge
    key by key (a null value removes the key), and a consent change stamps when and
    from where. All or nothing: raises CustomerConflict (index, field) when an email
    belongs to another customer.
    """
    now = clock.now()
    items = [_normalise(item) for item in items]
    by_external = {
        c.external_id: c
        for c in Customer.objects.filter(
            external_id__in=[i["external_id"] for i in items if i.get("external_id")]
        )
    }
    by_email = {
        c.email: c
        for c in Customer.objects.filter(email__in=[i["email"] for i in items if i.get("email")])
    }
    results: list[Upserted] = []
    new: dict[int, Customer] = {}
    for index, item in enumerate(items):
        customer = _match(index, item, by_external, by_email)
        created = customer is None
        if customer is None:
            customer = Customer(first_seen=now, last_seen=now)
            new[id(customer)] = customer
        _apply(customer, item, now)
        if customer.external_id:
            by_external[customer.external_id] = customer
        if customer.email:
            by_email[customer.email] = customer
        results.append(Upserted(customer, created))
    to_create = list(new.values())
    to_update = list({r.customer.pk: r.customer for r in results if r.customer.pk}.values())
    with transaction.atomic():
        Customer.objects.bulk_create(to_create)
        Customer.objects.bulk_update(
            to_update,
            [*PROFILE_FIELDS, "traits", "updated_at"]
            + [f"{c}_opt_in{s}" for c in CONSENT_CHANNELS for s in ("", "_at", "_source")],
        )
        if actor is not None or request is not None:
            record_audit(
                action="customer.upserted" if len(items) == 1 else "customer.imported",
                target=results[0].customer if len(items) == 1 else None,
                changes={"created": len(to_create), "updated": len(to_update)},
                actor=actor,
                request=request,
            )
    return results


def _normalise(item: dict[str, Any]) -> dict[str, Any]:
    item = dict(item)
    if item.get("email"):
        item["email"] = item["email"].strip().lower()
    return item


def _match(
    index: int,
    item: dict[str, Any],
    by_external: dict[str, Customer],
    by_email: dict[str, Customer],
) -> Customer | None:
    external_id, email = item.get("external_id"), item.get("email")
    customer = by_external.get(external_id) if external_id else None
    owner = by_email.get(email) if email else None
    if customer is None:
        if owner is not None and owner.external_id and external_id:
            raise CustomerConflict(
                index,
                "email",
                f"{email} belongs to the customer with site user id {owner.external_id}.",
            )
        return owner
    if owner is not None and owner is not customer:
        raise CustomerConflict(
            index, "email", f"{email} belongs to another customer (#{owner.pk})."
        )
    return customer


def _apply(customer: Customer, item: dict[str, Any], now: Any) -> None:
    for name in PROFILE_FIELDS:
        if name in item and item[name] is not None:
            setattr(customer, name, item[name])
    if "traits" in item:
        traits = dict(customer.traits or {})
        for key, value in item["traits"].items():
            if value is None:
                traits.pop(key, None)
            else:
                traits[key] = value
        customer.traits = traits
    for channel in CONSENT_CHANNELS:
        field = f"{channel}_opt_in"
        if field in item and item[field] != getattr(customer, field):
            setattr(customer, field, item[field])
            setattr(customer, f"{field}_at", item.get(f"{field}_at") or now)
            setattr(customer, f"{field}_source", item.get(f"{field}_source") or "api")
    customer.updated_at = now


def update_customer(
    *, customer: Customer, changes: dict[str, Any], actor: Actor, request: Any = None
) -> Customer:
    """Save edits from the admin: profile, consent (stamped like identify) and traits,
    which are replaced as a whole; one audit entry names the fields changed."""
    changes = _normalise(changes)
    if "traits" in changes:
        customer.traits = {}
        changes["traits"] = changes["traits"] or {}
    creating = customer.pk is None
    _apply(customer, changes, clock.now())
    with transaction.atomic():
        customer.save()
        record_audit(
            action="customer.created" if creating else "customer.updated",
            target=customer,
            changes={"fields": sorted(changes)},
            actor=actor,
            request=request,
        )
    return customer
