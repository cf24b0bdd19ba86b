"""A campaign's performance (the seed's "Campaign performance"): recipients, delivery,
opens, clicks, unsubscribes, bounces, complaints, conversions, revenue and cost, in a
couple of aggregate queries; kept in `Campaign.metrics` by a periodic refresh."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum

from benchbarrier import clock
from benchbarrier.models import SpendEntry
from marketing.campaigns.models import Campaign, CampaignSend, CampaignStatus, SendStatus
from marketing.campaigns.sequences import decide_steps
from marketing.models import Suppression


def compute(campaign: Campaign) -> dict[str, Any]:
    sends = CampaignSend.objects.filter(campaign=campaign, status=SendStatus.SENT)
    c = sends.aggregate(
        recipients=Count("id"),
        # As the large senders count it: sent and not bounced (the ESP's delivery
        # webhook confirms it, but not every ESP sends one).
        delivered=Count("id", filter=Q(delivery__bounced_at__isnull=True)),
        bounces=Count("id", filter=Q(delivery__bounced_at__isnull=False)),
        complaints=Count("id", filter=Q(delivery__complained_at__isnull=False)),
        opens=Count("id", filter=Q(delivery__opened_at__isnull=False)),
        proxy_opens=Count("id", filter=Q(delivery__proxy_open=True)),
        clicks=Count(
            "id",
            filter=Q(delivery__clicked_at__isnull=False, delivery__bot_click=False)
            | Q(sms_message__clicked_at__isnull=False)
            | Q(push_message__clicked_at__isnull=False),
        ),
        conversions=Count("id", filter=Q(converted_at__isnull=False)),
        revenue=Sum("revenue"),
    )
    unsubscribes = Suppression.objects.filter(
        delivery__campaign_send__campaign=campaign, scope__in=["marketing", "category"]
    ).count()
    spend = SpendEntry.objects.filter(
        service=campaign.type, details__source=f"campaign {campaign.pk}"
    )
    if campaign.launched_at:
        spend = spend.filter(created_at__gte=campaign.launched_at)
    cost = spend.aggregate(total=Sum("cost"))["total"] or Decimal(0)
    revenue = c["revenue"] or Decimal(0)
    n = c["recipients"]

    def share(part: int, whole: int) -> float | None:
        return round(part / whole, 4) if whole else None

    return {
        "recipients": n,
        "delivered": c["delivered"],
        "deliveryRate": share(c["delivered"], n),
        "opens": c["opens"],
        "openRate": share(c["opens"], n),
        "proxyOpens": c["proxy_opens"],
        "clicks": c["clicks"],
        "clickRate": share(c["clicks"], n),
        "clickToOpen": share(c["clicks"], c["opens"]),
        "unsubscribes": unsubscribes,
        "bounces": c["bounces"],
        "complaints": c["complaints"],
        "conversions": c["conversions"],
        "conversionRate": share(c["conversions"], n),
        "revenue": float(revenue),
        "revenuePerRecipient": round(float(revenue) / n, 4) if n else None,
        "cost": float(cost),
        "updatedAt": clock.now().isoformat(),
    }


def refresh(campaign: Campaign) -> dict[str, Any]:
    metrics = {**campaign.metrics, **compute(campaign)}
    Campaign.objects.filter(pk=campaign.pk).update(metrics=metrics)
    campaign.metrics = metrics
    return metrics


def refresh_live() -> int:
    """The periodic refresh: campaigns sending, testing, active, or sent in 30 days."""
    since = clock.now() - timedelta(days=30)
    live = Campaign.objects.filter(
        Q(
            status__in=[
                CampaignStatus.SENDING,
                CampaignStatus.TESTING,
                CampaignStatus.ACTIVE,
                CampaignStatus.PAUSED,
            ]
        )
        | Q(status=CampaignStatus.SENT, finished_at__gte=since)
    )
    count = 0
    for campaign in live:
        if campaign.kind == "sequence":
            decide_steps(campaign)
        refresh(campaign)
        count += 1
    return count
