"""Marketing on the admin's home: the audience and the email it receives; and where
marketing's screens sit in the navigation."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Q
from django.http import HttpRequest

from benchbarrier import clock
from benchbarrier.dashboard import Figure, Panel, list_link, panel, place
from marketing.models import (
    Customer,
    DiscountCode,
    DiscountPool,
    EmailDelivery,
    EmailTemplate,
    Segment,
    Suppression,
)
from marketing.selectors import delivery_rate

place("Audience", Customer, Segment, Suppression)
place("Automation", DiscountPool, DiscountCode)
place("Content", EmailTemplate)
place("Analytics", EmailDelivery)


@panel("Audience", order=30)
def audience(request: HttpRequest) -> Panel:
    since = clock.now() - timedelta(days=30)
    counts = Customer.objects.aggregate(
        total=Count("id"),
        opted_in=Count("id", filter=Q(email_opt_in=True)),
        new=Count("id", filter=Q(created_at__gte=since)),
        buyers=Count("id", filter=Q(order_count__gt=0)),
    )
    return Panel(
        "Audience",
        figures=[
            Figure("customers", f"{counts['total']:,}", list_link(Customer)),
            Figure("new, 30 days", f"{counts['new']:,}", list_link(Customer)),
            Figure("have ordered", f"{counts['buyers']:,}",
                   list_link(Customer, has_ordered="yes")),
            Figure("email opt-in", f"{counts['opted_in']:,}",
                   list_link(Customer, email_opt_in__exact=1)),
        ],
        note=f"{Segment.objects.count():,} segment(s).",
        link=list_link(Customer),
    )  # fmt: skip


@panel("Email", order=40)
def email(request: HttpRequest) -> Panel:
    rate = delivery_rate(timedelta(hours=24))
    since = clock.now() - timedelta(hours=24)
    skipped = EmailDelivery.objects.filter(status="skipped", created_at__gte=since).count()
    share = "-" if rate.rate is None else f"{rate.rate:.1%}"
    tone = "" if rate.rate is None else "good" if rate.rate >= 0.95 else "bad"
    return Panel(
        "Email, last 24 hours",
        figures=[
            Figure("sent", f"{rate.sent:,}", list_link(EmailDelivery, status__exact="sent")),
            Figure("delivery rate", share, list_link(EmailDelivery), tone=tone),
            Figure("bounced", f"{rate.bounced:,}",
                   list_link(EmailDelivery, status__exact="bounced")),
            Figure("skipped (consent, rules)", f"{skipped:,}",
                   list_link(EmailDelivery, status__exact="skipped")),
        ],
        note="Delivery rate: delivered / sent, as the ESP reports them (alert below 95%).",
        link=list_link(EmailDelivery),
    )  # fmt: skip
