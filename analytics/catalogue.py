"""The event catalogue: the events the site sends and the ones the back office emits,
with their properties. The README's table is this list; the admin filters by it."""

from __future__ import annotations

SITE_EVENTS: dict[str, str] = {
    "user.created": "email, name, emailOptIn",
    "user.login": "(none)",
    "product.viewed": "productId, name, price, category",
    "cart.updated": "cartId, items[{productId, quantity, price}], total, currency",
    "cart.abandoned": "cartId, items, total, currency, url",
    "checkout.started": "cartId, total, currency",
    "order.completed": "orderId, cartId, total, currency, items[{productId, quantity, price}]",
    "order.shipped": "orderId, trackingNumber, carrier",
    "order.refunded": "orderId, amount, currency, reason",
}
BACK_OFFICE_EVENTS: dict[str, str] = {
    "segment.entered": "segmentId, segmentName, customerId",
    "segment.exited": "segmentId, segmentName, customerId",
    "email.sent": "deliveryId, template",
    "email.opened": "deliveryId",
    "email.clicked": "deliveryId, url",
}
CATALOGUE = {**SITE_EVENTS, **BACK_OFFICE_EVENTS}
