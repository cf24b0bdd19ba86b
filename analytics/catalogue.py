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
    "page.viewed": "url, title (a visit: counts in website_visits through its sessionId)",
    "subscription.started": "subscriptionId, amount, interval (month|year), currency",
    "subscription.cancelled": "subscriptionId",
}
BACK_OFFICE_EVENTS: dict[str, str] = {
    "segment.entered": "segmentId, segmentName, customerId",
    "segment.exited": "segmentId, segmentName, customerId",
    "email.sent": "deliveryId, template",
    "email.opened": "deliveryId",
    "email.clicked": "deliveryId, url",
    "discount.issued": "code, kind, value, currency, expiresAt, pool, source",
    "sms.sent": "smsId, segments",
    "sms.clicked": "smsId, url",
    "push.sent": "pushId, devices",
    "push.shown": "pushId",
    "push.clicked": "pushId, url",
    "social.posted": "postId, platform, account, permalink",
    "social.engagement": "postId, platform, account, likes, comments, shares, reach",
}
CATALOGUE = {**SITE_EVENTS, **BACK_OFFICE_EVENTS}
