"""Marketing's sources of one person's data, in the kernel's registry (an export of what
the shop holds about them): the profile and consents, emails, SMS, push subscriptions and
messages, segment memberships, campaign sends, discount codes, suppressions."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.forms.models import model_to_dict

from benchbarrier.personal_data import Rows, Source, register_source
from marketing.models import (
    CampaignSend,
    Customer,
    DiscountCode,
    EmailDelivery,
    PushMessage,
    PushSubscription,
    SegmentMember,
    SmsMessage,
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
