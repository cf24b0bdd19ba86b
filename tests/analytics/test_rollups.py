"""The rollups: kept in the transaction that stores events (a repeated event counts
once), rebuilt from the events to the same rows, used only where they can answer, and
giving the figures the events give, a customer segment included."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Q

from analytics import rollups
from analytics.models import Buyer, OrderHour, OrderTotal, Signup, Subscription
from analytics.query import parse_period
from analytics.services import record_events
from benchbarrier.metrics_registry import Period, get_metric
from tests.analytics.test_metrics import event, october, shop  # noqa: F401

pytestmark = pytest.mark.django_db
TABLES = (OrderHour, OrderTotal, Buyer, Signup, Subscription)


def snapshot() -> dict:
    def columns(model) -> list[str]:
        return [f.attname for f in model._meta.concrete_fields if f.attname != "id"]

    return {model.__name__: sorted(map(str, model.objects.values_list(*columns(model))))
            for model in TABLES}  # fmt: skip


def test_events_are_rolled_up_as_they_are_stored_and_a_repeat_counts_once(shop):  # noqa: F811
    hour = OrderHour.objects.get(user_id="u2")
    assert (hour.hour, hour.currency, hour.orders) == (
        datetime(2026, 10, 5, 12, tzinfo=UTC), "EUR", 1)  # fmt: skip
    assert hour.amount == Decimal(40)
    again = event("order.completed", "2026-10-05", "u2", "s2", orderId="4", total="40")
    again["messageId"] = "same-message"
    record_events([again])
    record_events([again])  # the same messageId: not stored again, not counted again
    assert OrderTotal.objects.get(hour=hour.hour, currency="USD").orders == 1


def test_a_rebuild_makes_the_same_rows_from_the_events(shop):  # noqa: F811
    before = snapshot()
    assert before["Signup"] and before["Subscription"] and before["Buyer"]
    for model in TABLES:
        model.objects.all().delete()
    assert rollups.rebuild_if_missing() > 0
    assert snapshot() == before
    call_command("analytics_rollups", "--rebuild", verbosity=0)
    assert snapshot() == before
    # October's rows lost (written around the API, say): October rebuilt alone
    OrderHour.objects.filter(hour__month=10).delete()
    OrderTotal.objects.filter(hour__month=10).update(orders=99)
    call_command("analytics_rollups", "--rebuild", "--start", "2026-10-01", "--end",
                 "2026-10-31", verbosity=0)  # fmt: skip
    assert snapshot() == before
    with pytest.raises(CommandError, match="--end: a date like"):
        call_command("analytics_rollups", "--rebuild", "--start", "2026-10-01", "--end", "x")


def test_they_answer_only_whole_hours_and_parts_chosen_by_customer(settings):
    hours = parse_period(None, "2026-10-01", "2026-10-31")
    assert rollups.usable(hours, None)
    assert rollups.usable(hours, Q(user_id__in=["u1"]))
    assert not rollups.usable(hours, Q(session_id__in=["s1"]))  # a channel: the events
    half = Period(hours.start.replace(minute=30), hours.end)
    assert not rollups.usable(half, None)
    settings.ANALYTICS_ROLLUPS = False
    assert not rollups.usable(hours, None)


@pytest.mark.parametrize("name", ["revenue", "orders", "average_order_value", "mrr",
                                  "customer_count", "churn_rate", "ltv"])  # fmt: skip
def test_a_customer_part_gives_the_same_figure_from_rollups_and_events(shop, name, settings):  # noqa: F811
    part = Q(user_id__in=["u1", "u2", "u3"])
    metric = get_metric(name)
    from_rollups = metric.compute(october(), part)
    settings.ANALYTICS_ROLLUPS = False
    assert from_rollups == metric.compute(october(), part)


@pytest.mark.parametrize("name", ["mrr", "customer_count", "ltv"])
def test_several_periods_at_once_give_each_periods_figure(shop, name, settings):  # noqa: F811
    from analytics import comparisons

    metric = get_metric(name)
    periods = [october(), *comparisons.history(october())]
    at_once = metric.values(periods)
    assert at_once == [metric.compute(p) for p in periods]
    settings.ANALYTICS_ROLLUPS = False
    assert at_once == metric.values(periods)  # and the events say the same
