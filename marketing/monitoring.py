"""What monitoring reads from email: the delivery rate (the seed's low delivery rate
alert, and a gauge for /metrics)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Q
from django.http import HttpRequest
from django.urls import reverse

from benchbarrier import clock
from benchbarrier.alert_signals import Measurement, Signal, register_signal
from benchbarrier.dashboard import Figure, Panel
from benchbarrier.operations import chart_of, operations_panel
from benchbarrier.telemetry import Gauge, register_gauges
from marketing.models import DeliveryStatus, EmailDelivery

REACHED = (DeliveryStatus.SENT, DeliveryStatus.DELIVERED, DeliveryStatus.COMPLAINED)
ENDED = (*REACHED, DeliveryStatus.BOUNCED, DeliveryStatus.FAILED)


def delivery_rate(window: timedelta, now: datetime) -> tuple[Decimal | None, int]:
    """(% of the emails that went out in the window and were not bounced or failed, how
    many went out): one query on the deliveries of the window."""
    counts = EmailDelivery.objects.filter(
        created_at__gt=now - window, created_at__lte=now, status__in=ENDED
    ).aggregate(total=Count("id"), reached=Count("id", filter=Q(status__in=REACHED)))
    if not counts["total"]:
        return None, 0
    rate = Decimal(counts["reached"] * 100) / counts["total"]
    return rate.quantize(Decimal("0.01")), counts["total"]


def _rate(window: timedelta, now: datetime) -> dict[str, Measurement]:
    rate, total = delivery_rate(window, now)
    return {} if rate is None else {"": Measurement(rate, total, f"of {total} emails")}


@register_gauges
def delivery_gauge() -> list[Gauge]:
    rate, _ = delivery_rate(timedelta(hours=1), clock.now())
    samples = [] if rate is None else [((), float(rate) / 100)]
    return [Gauge("bb_email_delivery_rate", "Share of the last hour's emails not bounced or "
                  "failed.", (), samples)]  # fmt: skip


def _problems(group: str = "") -> str:
    return f"{reverse('admin:marketing_emaildelivery_changelist')}?status__in=bounced,failed"


register_signal(Signal(
    "email.delivery_rate", "% of the emails sent in the window not bounced or failed.", "%",
    _rate, _problems, sampled=True,
))  # fmt: skip


@operations_panel("Email delivery", order=40)
def delivery_panel(request: HttpRequest) -> Panel:
    now = clock.now()
    figures = []
    for label, window in (("last hour", timedelta(hours=1)), ("last 24 h", timedelta(days=1))):
        rate, total = delivery_rate(window, now)
        value = "none" if rate is None else f"{rate:.1f}%"
        tone = "" if rate is None else "bad" if rate < 95 else "warn" if rate < 98 else "good"
        figures.append(Figure(f"delivered, {label} ({total:,} emails)", value, _problems(), tone))
    return Panel("Email delivery rate", figures=figures, link=_problems(),
                 chart=chart_of("email.delivery_rate", "delivery rate, each hour", "%",
                                combine="max"),
                 note="Not bounced or failed, of the emails that went out.")  # fmt: skip
