"""The seed's twelve metrics in the kernel's registry, each with the dimensions it can be
split by (definitions: `analytics.metrics`; dimensions: `analytics.dimensions` and
marketing's)."""

from __future__ import annotations

from analytics import dimensions
from analytics.metrics import (
    average_order_value,
    churn_rate,
    click_through_rate,
    conversion_rate,
    customer_count,
    customer_counts,
    email_open_rate,
    ltv,
    ltvs,
    mrr,
    mrrs,
    orders,
    revenue,
    social_engagement,
    website_visits,
)
from benchbarrier.metrics_registry import Metric, register_metric

ORDERS = ("product_category", "channel", "campaign", "customer_segment")
VISITS = ("channel", "campaign", "customer_segment")
PEOPLE = ("customer_segment",)


def _orders_metric(name: str, formula: str, unit: str, compute) -> Metric:
    splitter = dimensions.CATEGORY_SPLITTERS[name]
    return Metric(name, formula, unit, compute, ORDERS, {"product_category": splitter})


SEED_METRICS = [
    _orders_metric("revenue", "sum of order totals, in the reporting currency", "currency",
                   revenue),
    _orders_metric("orders", "number of completed orders", "count", orders),
    _orders_metric("average_order_value", "revenue / orders", "currency", average_order_value),
    Metric("conversion_rate", "sessions with an order / sessions", "ratio", conversion_rate,
           VISITS),
    Metric("email_open_rate", "emails sent in the period that were opened / emails sent",
           "ratio", email_open_rate, VISITS),
    Metric("click_through_rate", "emails sent in the period that were clicked / emails sent",
           "ratio", click_through_rate, VISITS),
    Metric("social_engagement", "likes + comments + shares of the posts, as last pulled",
           "count", social_engagement, ("channel",)),
    Metric("website_visits", "sessions on the site (GA4's when configured and pulled, "
           "else the site's own events)", "count", website_visits, VISITS),
    Metric("mrr", "monthly amount of the subscriptions active at the period's end",
           "currency", mrr, PEOPLE, compute_many=mrrs),
    Metric("customer_count", "customers signed up before the period's end", "count",
           customer_count, PEOPLE, compute_many=customer_counts),
    Metric("churn_rate", "buyers of the previous period with no order in this one / "
           "buyers of the previous period", "ratio", churn_rate, PEOPLE),
    Metric("ltv", "revenue of every order so far / customers who ordered", "currency", ltv,
           PEOPLE, compute_many=ltvs),
]  # fmt: skip
for _metric in SEED_METRICS:
    register_metric(_metric)
