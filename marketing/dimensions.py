"""The dimensions marketing knows, in the kernel's registry beside analytics':

- customer_segment: each segment's current members (a customer counts in every segment
  they are in; figures of the past are split by today's membership);
- campaign: a campaign's emails (`email.sent` carries its `campaignId`) under the
  campaign's name, and the site's sessions by the `utm_campaign` (or `campaign`) their
  events carry.
"""

from __future__ import annotations

from django.db.models import Q

from analytics.dimensions import sessions_by_value, tagged_sessions
from analytics.models import Event
from benchbarrier.metrics_registry import Dimension, Period, Scope, register_dimension
from marketing.models import Campaign, Customer, Segment


def segment_scopes(period: Period) -> dict[str, Scope]:
    return {
        segment.name: Q(user_id__in=Customer.objects.filter(
            segment_memberships__segment=segment).values("external_id"))
        for segment in Segment.objects.order_by("name")
    }  # fmt: skip


def campaign_scopes(period: Period) -> dict[str, Scope]:
    sent = Event.objects.filter(
        event_name="email.sent", timestamp__gte=period.start, timestamp__lt=period.end,
        properties__has_key="campaignId",
    )  # fmt: skip
    ids = {str(i) for i in sent.values_list("properties__campaignId", flat=True).distinct()}
    names = dict(Campaign.objects.filter(pk__in=[int(i) for i in ids if i.isdigit()])
                 .values_list("pk", "name"))  # fmt: skip
    scopes: dict[str, Scope] = {}
    for pk, name in names.items():
        scopes[name] = Q(event_name__startswith="email.", properties__campaignId=pk)
    tagged = tagged_sessions(period, ("utm_campaign", "campaign"))
    for value, sessions in sessions_by_value(tagged).items():
        visits = Q(session_id__in=sessions)
        scopes[value] = scopes[value] | visits if value in scopes else visits
    return dict(sorted(scopes.items()))


register_dimension(
    Dimension("customer_segment", "the customer's segments (today's members)", segment_scopes)
)
register_dimension(
    Dimension("campaign", "a campaign's emails, or the utm_campaign of a visit", campaign_scopes)
)
