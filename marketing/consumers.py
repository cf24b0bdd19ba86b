"""What marketing does with events from the bus (see benchbarrier.events)."""

from __future__ import annotations

import logging

from benchbarrier.events import BusEvent, consumer
from marketing import stats
from marketing.campaigns import attribution
from marketing.services import discounts, products

logger = logging.getLogger(__name__)


@consumer("marketing.customer_stats", order=10)  # before triggers: runs find their customer
def update_customer_stats(events: list[BusEvent]) -> None:
    """Customer stats (orders, spend, views, email engagement, first/last seen)."""
    stats.apply_events(events)


@consumer("marketing.discount_codes_used", events={"order.completed"})
def mark_discount_codes_used(events: list[BusEvent]) -> None:
    """Discount codes an order names (`discountCode`, `discountCodes`) are marked used."""
    discounts.mark_used(
        [
            (discounts.codes_of_order(e.properties), str(e.properties.get("orderId", "")),
             e.timestamp)
            for e in events
        ]
    )  # fmt: skip


@consumer(
    "marketing.campaign_engagement",
    events={"email.sent", "email.opened", "email.clicked"},
    order=20,
)
def copy_campaign_engagement(events: list[BusEvent]) -> None:
    """Opens and clicks of campaign emails onto their campaign sends."""
    attribution.copy_engagement(events)


@consumer("marketing.campaign_attribution", events={"order.completed"}, order=50)
def attribute_orders(events: list[BusEvent]) -> None:
    """Orders credited to the campaign email clicked (or opened) before them."""
    attribution.attribute_orders(events)


@consumer("marketing.products", events={"product.updated"})
def update_products(events: list[BusEvent]) -> None:
    """The catalogue from `product.updated` events (properties as the API's items; the
    event's time orders the changes, so a late or repeated one changes nothing)."""
    items = [{**e.properties, "changedAt": e.timestamp.isoformat()} for e in events]
    for outcome in products.upsert_products(items, camel=True):
        if outcome.status == "rejected":
            logger.warning("product.updated %s ignored: %s", outcome.product_id, outcome.errors)
