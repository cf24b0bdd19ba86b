"""Marketing's part of the kernel's personal-data registry: the sources of an export (the
profile and consents, emails, SMS, push subscriptions and messages, segment memberships,
campaign sends, discount codes, suppressions), the eraser, and the retention of email and
SMS tracking (MESSAGE_RETENTION_DAYS)."""

from __future__ import annotations

from typing import Any

from django.db.models import F, Q, QuerySet
from django.forms.models import model_to_dict

from benchbarrier import clock
from benchbarrier.personal_data import (
    Person,
    Retention,
    Rows,
    Source,
    address_digest,
    in_chunks,
    register_eraser,
    register_retention,
    register_source,
    stand_in_address,
)
from benchbarrier.services.audit import forget_in_audit
from marketing.models import (
    CampaignSend,
    Customer,
    DiscountCode,
    EmailDelivery,
    ErasedContact,
    PushMessage,
    PushSubscription,
    Segment,
    SegmentMember,
    SmsMessage,
    SmsOptOut,
    Suppression,
)


def _plain(rows: QuerySet[Any], *, exclude: tuple[str, ...] = ()) -> Rows:
    for row in rows.iterator(chunk_size=1000):
        yield {k: _json(v) for k, v in model_to_dict(row, exclude=list(exclude)).items()} | {
            "id": row.pk
        }


def _json(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (str, int, float, bool, dict, list)) or value is None:
        return value
    return str(value)


def _of(model: Any, user_id: str, **kwargs: Any) -> QuerySet[Any]:
    return model.objects.filter(customer__external_id=user_id, **kwargs).order_by("pk")


def _profile(user_id: str) -> Rows:
    return _plain(Customer.objects.filter(external_id=user_id))


def _suppressions(user_id: str) -> Rows:
    emails = Customer.objects.filter(external_id=user_id).values("email")
    return _plain(Suppression.objects.filter(email__in=emails).order_by("pk"))


def _memberships(user_id: str) -> Rows:
    for membership in _of(SegmentMember, user_id).select_related("segment"):
        yield {"segment": membership.segment.name, "joined_at": _json(membership.joined_at)}


for name, description, rows in [
    ("customer", "the profile, consents and figures", _profile),
    ("email_deliveries", "every email: template, status, opens, clicks",
     lambda u: _plain(_of(EmailDelivery, u), exclude=("attachments",))),
    ("sms_messages", "every SMS sent", lambda u: _plain(_of(SmsMessage, u))),
    ("push_subscriptions", "the browsers subscribed to push",
     lambda u: _plain(_of(PushSubscription, u), exclude=("p256dh", "auth"))),
    ("push_messages", "every push notification", lambda u: _plain(_of(PushMessage, u))),
    ("segments", "the segments they are in", _memberships),
    ("campaign_sends", "the campaigns they were sent", lambda u: _plain(_of(CampaignSend, u))),
    ("discount_codes", "the discount codes issued", lambda u: _plain(_of(DiscountCode, u))),
    ("suppressions", "unsubscribes and bounces of their address", _suppressions),
]:  # fmt: skip
    register_source(Source(name, description, rows))


# --- erasure ---------------------------------------------------------------------------------


# What an email or SMS kept for its figures loses (beside its address).
EMAIL_CONTENT_GONE = {"variables": {}, "links": [], "subject": "", "subject_override": "",
                      "attachments": []}  # fmt: skip
SMS_CONTENT_GONE = {"body": "", "links": []}


def stand_in_number(number: str) -> str:
    """What an erased phone number becomes in messages kept for figures (fits 20 chars)."""
    return f"erased:{address_digest(number)[:13]}"


def _erase(person: Person) -> dict[str, int]:
    """The customer's profile is anonymised (figures and sends stay, pointing at a customer
    who is now only a pseudonym); their messages lose address and content; memberships and
    push subscriptions go; their addresses stay suppressed as digests only."""
    customer = Customer.objects.filter(pk=person.customer_id).first()
    theirs = Q(customer=customer) if customer else Q(pk__in=[])
    emails = set(person.emails) | set(
        EmailDelivery.objects.filter(theirs).values_list("to_email", flat=True)
    )
    numbers = set(person.phones) | set(
        SmsMessage.objects.filter(theirs).values_list("to_number", flat=True))  # fmt: skip
    done = {"email_deliveries": 0, "sms_messages": 0, "suppressions": 0}
    for address in emails:
        done["email_deliveries"] += EmailDelivery.objects.filter(to_email=address).update(
            to_email=stand_in_address(address), **EMAIL_CONTENT_GONE
        )
        done["suppressions"] += Suppression.objects.filter(email=address).update(
            email=stand_in_address(address)
        )
    for number in numbers:
        done["sms_messages"] += SmsMessage.objects.filter(to_number=number).update(
            to_number=stand_in_number(number), **SMS_CONTENT_GONE
        )
    done["sms_opt_outs"] = SmsOptOut.objects.filter(number__in=numbers).delete()[0]
    for kind, values in (("email", emails), ("phone", numbers)):
        for value in values:
            ErasedContact.objects.get_or_create(digest=address_digest(value),
                                                defaults={"kind": kind})  # fmt: skip
    done["push_messages"] = PushMessage.objects.filter(theirs).update(title="", body="", url="")
    done["push_subscriptions"] = PushSubscription.objects.filter(theirs).delete()[0]
    memberships = SegmentMember.objects.filter(theirs)
    Segment.objects.filter(pk__in=memberships.values("segment")).update(
        member_count=F("member_count") - 1
    )
    done["segment_memberships"] = memberships.delete()[0]
    if customer is not None:
        done["audit_entries"] = forget_in_audit(Q(pk__in=[]), target=customer)
        done["customers"] = Customer.objects.filter(pk=customer.pk).update(
            external_id=person.pseudonym, email=None, name="", phone="", locale="",
            timezone="UTC", traits={}, email_opt_in=False, email_opt_in_source="",
            sms_opt_in=False, sms_opt_in_source="", erased_at=clock.now())  # fmt: skip
    return done


register_eraser("marketing", _erase)


def erased_among(addresses: set[str]) -> set[str]:
    """The addresses or numbers (of a batch about to be sent) whose owner was erased."""
    digests = {address_digest(a): a for a in addresses}
    found = ErasedContact.objects.filter(digest__in=digests).values_list("digest", flat=True)
    return {digests[digest] for digest in found}


# --- retention -------------------------------------------------------------------------------


def _forgetting(model: Any, field: str, stand_in: Any, gone: dict[str, Any],
                erased: dict[str, str]) -> Any:  # fmt: skip
    """A retention rule for messages: those made before its cut-off keep their status and
    timestamps (the figures), not whom they went to (`field`, replaced by its stand-in) or
    what they said (`gone`); `erased` matches the ones already done."""

    def prune(before: Any) -> int:
        old = model.objects.filter(created_at__lt=before).exclude(**erased)

        def forget(rows: QuerySet[Any]) -> int:
            found = [model(pk=pk, **{field: stand_in(address)}, **gone)
                     for pk, address in rows.values_list("pk", field)]  # fmt: skip
            model.objects.bulk_update(found, [field, *gone])
            return len(found)

        return in_chunks(old, forget, size=1000)

    return prune


register_retention(
    Retention(
        "email_tracking",
        "emails and their opens and clicks: the address and content go",
        "MESSAGE_RETENTION_DAYS",
        _forgetting(
            EmailDelivery,
            "to_email",
            stand_in_address,
            EMAIL_CONTENT_GONE,
            {"to_email__endswith": "@erased.invalid"},
        ),
    )
)
register_retention(Retention(
    "sms_tracking", "SMS and their clicks: the number and text go",
    "MESSAGE_RETENTION_DAYS", _forgetting(SmsMessage, "to_number", stand_in_number,
                                          SMS_CONTENT_GONE,
                                          {"to_number__startswith": "erased:"})))  # fmt: skip
