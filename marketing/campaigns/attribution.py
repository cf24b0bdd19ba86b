"""What campaign emails led to: their opens and clicks copied onto `campaign_sends`,
and orders credited to the send that brought them.

An `order.completed` is credited to the customer's last click of a campaign or sequence
email within ATTRIBUTION_CLICK_DAYS before the order (scanner clicks do not count),
else to the last open within ATTRIBUTION_OPEN_DAYS; each order at most once (its id is
unique among attributions), so an order delivered twice by the bus counts once.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from benchbarrier import telemetry
from benchbarrier.bulk_sql import insert_rows, update_rows
from benchbarrier.events import BusEvent
from marketing.campaigns.models import Attribution, CampaignSend
from marketing.models import Customer


def copy_engagement(events: list[BusEvent]) -> None:
    """`email.sent` / `email.opened` / `email.clicked` onto the campaign send of that
    delivery (a sequence's send, or a broadcast's deferred by quiet hours, becomes sent
    when its email goes)."""
    table = CampaignSend._meta.db_table
    mentioned = [e.properties.get("deliveryId") for e in events]
    sends = CampaignSend.objects.filter(
        delivery_id__in=[d for d in mentioned if isinstance(d, int)]
    )
    # Only what the sends do not know yet (a broadcast's chunk settles its own sends).
    unknown: dict[str, set[int]] = {
        "email.sent": set(),
        "email.opened": set(),
        "email.clicked": set(),
    }
    for delivery, status, opened, clicked in sends.values_list(
        "delivery_id", "status", "opened_at", "clicked_at"
    ):
        if status == "queued":
            unknown["email.sent"].add(delivery)
        if opened is None:
            unknown["email.opened"].add(delivery)
        if clicked is None:
            unknown["email.clicked"].add(delivery)
    first: dict[str, dict[int, datetime]] = defaultdict(dict)
    for event in events:
        delivery = event.properties.get("deliveryId")
        if delivery in unknown.get(event.event_name, ()):
            seen = first[event.event_name]
            seen[delivery] = min(seen.get(delivery, event.timestamp), event.timestamp)
    update_rows(
        table,
        ["status", "sent_at"],
        [("sent", when, delivery, "queued") for delivery, when in first["email.sent"].items()],
        keys=("delivery_id", "status"),
    )
    telemetry.count_campaign("email", "opened", len(first["email.opened"]))
    telemetry.count_campaign("email", "clicked", len(first["email.clicked"]))
    for name, column in (("email.opened", "opened_at"), ("email.clicked", "clicked_at")):
        update_rows(
            table,
            [column],
            [(when, delivery) for delivery, when in first[name].items()],
            keys=("delivery_id",),
            where=f"{column} IS NULL",
        )


def attribute_orders(events: list[BusEvent]) -> int:
    """Credit each order of the batch to its campaign send; returns how many got one."""
    orders = [e for e in events if e.user_id and e.properties.get("orderId") is not None]
    if not orders:
        return 0
    click_window = timedelta(days=settings.ATTRIBUTION_CLICK_DAYS)
    open_window = timedelta(days=settings.ATTRIBUTION_OPEN_DAYS)
    customers = dict(
        Customer.objects.filter(external_id__in={e.user_id for e in orders}).values_list(
            "external_id", "pk"
        )
    )
    earliest = min(e.timestamp for e in orders) - max(click_window, open_window)
    touched = defaultdict(list)
    for send in (
        CampaignSend.objects.filter(customer_id__in=customers.values())
        .filter(Q(clicked_at__gte=earliest) | Q(opened_at__gte=earliest))
        .select_related("delivery")
    ):
        touched[send.customer_id].append(send)
    rows = []
    for event in orders:
        send, touch = _credited(
            touched[customers.get(event.user_id)], event.timestamp, click_window, open_window
        )
        if send is not None:
            rows.append(
                (
                    str(event.properties["orderId"])[:100],
                    send.pk,
                    _money(event.properties.get("total")),
                    str(event.properties.get("currency", ""))[:3],
                    touch,
                    event.timestamp,
                )
            )
    credited = insert_rows(
        Attribution._meta.db_table,
        [
            ("order_id", "text"),
            ("send_id", "bigint"),
            ("revenue", "numeric"),
            ("currency", "text"),
            ("touch", "text"),
            ("ordered_at", "timestamptz"),
        ],
        rows,
        on_conflict="ON CONFLICT (order_id) DO NOTHING",
        returning="send_id, revenue, ordered_at",
        staged=False,
    )
    telemetry.count_campaign("any", "converted", len(credited))
    for send_id, revenue, when in credited:
        CampaignSend.objects.filter(pk=send_id).update(revenue=F("revenue") + revenue)
        CampaignSend.objects.filter(pk=send_id, converted_at__isnull=True).update(
            converted_at=when if timezone.is_aware(when) else timezone.make_aware(when, UTC)
        )  # (SQLite's RETURNING gives the UTC time without its zone)
    return len(credited)


def _credited(
    sends: list[CampaignSend], when: datetime, click_window: timedelta, open_window: timedelta
) -> tuple[CampaignSend | None, str]:
    clicks = [
        s
        for s in sends
        if s.clicked_at
        and when - click_window <= s.clicked_at <= when
        and not (s.delivery and s.delivery.bot_click)
    ]
    if clicks:
        return max(clicks, key=lambda s: s.clicked_at), "click"
    opens = [s for s in sends if s.opened_at and when - open_window <= s.opened_at <= when]
    if opens:
        return max(opens, key=lambda s: s.opened_at), "open"
    return None, ""


def _money(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, TypeError):
        return Decimal(0)
    return amount.quantize(Decimal("0.01")) if amount.is_finite() else Decimal(0)
