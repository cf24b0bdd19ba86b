"""Reads for monitoring and the admin."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q

from benchbarrier import clock
from marketing.models import EmailDelivery


@dataclass(frozen=True)
class DeliveryRate:
    sent: int
    delivered: int
    bounced: int
    window: timedelta

    @property
    def rate(self) -> float | None:
        """Delivered / sent, None when nothing was sent in the window."""
        return self.delivered / self.sent if self.sent else None


def delivery_rate(
    window: timedelta = timedelta(hours=24), now: datetime | None = None
) -> DeliveryRate:
    """Of the emails handed to the ESP in the window, how many it reports delivered."""
    now = now or clock.now()
    counts = EmailDelivery.objects.filter(sent_at__gte=now - window, sent_at__lte=now).aggregate(
        sent=Count("id"),
        delivered=Count("id", filter=Q(delivered_at__isnull=False)),
        bounced=Count("id", filter=Q(bounced_at__isnull=False)),
    )
    return DeliveryRate(counts["sent"], counts["delivered"], counts["bounced"], window)
