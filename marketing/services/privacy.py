"""The GDPR rights of one customer, for the API and the admin: access (a `data.export`
job of kind `customer`, whose result holds a signed, expiring link to the zip) and erasure
(every app's eraser through the kernel's personal-data registry)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from benchbarrier import personal_data
from benchbarrier.services.audit import Actor, record_audit
from jobs.models import Job
from jobs.services import enqueue
from marketing.models import Customer


class NoOneToErase(Exception):
    """Nothing is held about this user id (or it was erased already)."""


@dataclass(frozen=True)
class Erasure:
    reference: str  # the pseudonym that replaced them: quote it, it names no one
    erased: dict[str, dict[str, int]]  # rows erased or anonymised, by app and kind


def _held(external_id: str) -> Customer | None:
    """The live customer with this user id, None when only other data names it;
    NoOneToErase when nothing does, or the customer was erased already."""
    customer = Customer.objects.filter(external_id=external_id).first()
    if customer is not None and customer.erased_at is not None:
        raise NoOneToErase(f'"{external_id}" was erased already')
    if customer is None and not personal_data.holds_anything(external_id):
        raise NoOneToErase(f'nothing is held about the user id "{external_id}"')
    return customer


def request_export(*, external_id: str, actor: Actor, request: Any = None) -> Job:
    """Start the export of everything held about this user id (NoOneToErase when
    nothing is)."""
    _held(external_id)
    job, _ = enqueue(job_type="data.export", payload={"kind": "customer", "userId": external_id},
                     actor=actor, request=request)  # fmt: skip
    return job


def erase_customer(*, actor: Actor, request: Any = None, external_id: str | None = None,
                   customer: Customer | None = None) -> Erasure:  # fmt: skip
    """Erase or irreversibly anonymise everything held about one person, by their site
    user id or (an admin action on a customer known only by email) their customer row.
    The audit entry names the pseudonym and the counts, never the person."""
    if customer is None:
        customer = _held(external_id or "")
    elif customer.erased_at is not None:
        raise NoOneToErase(f"customer {customer.pk} was erased already")
    else:
        external_id = customer.external_id
    person = personal_data.Person(
        user_id=external_id,
        emails=frozenset(filter(None, [customer and customer.email])),
        phones=frozenset(filter(None, [customer and customer.phone])),
        customer_id=customer.pk if customer else None,
    )
    erased = personal_data.erase_everywhere(person)
    record_audit(action="customer.erased", actor=actor, request=request,
                 changes={"reference": person.pseudonym, "customerId": person.customer_id,
                          "rows": erased})  # fmt: skip
    return Erasure(person.pseudonym, erased)
