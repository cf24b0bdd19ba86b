"""Customer stats from events: set-based, right under duplicates and disorder."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from analytics.services import record_events
from marketing.models import Customer
from tests.conftest import run_due_jobs
from tests.marketing.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def ev(n: int, event_name: str, day: int, user: str = "u1", **properties) -> dict:
    return {
        "eventName": event_name,
        "userId": user,
        "messageId": f"m{n}",
        "timestamp": f"2026-11-{day:02d}T12:00:00Z",
        "properties": properties,
    }


HISTORY = [
    ev(1, "user.created", 1, email="Ada@Example.com", name="Ada Moreau"),
    ev(2, "user.login", 2),
    ev(3, "product.viewed", 3, productId="p1"),
    ev(4, "product.viewed", 4, productId="p2"),
    ev(5, "order.completed", 5, orderId="o1", total=120.5, currency="EUR", items=[]),
    ev(6, "user.login", 9),
    ev(7, "order.completed", 10, orderId="o2", total="79.50", currency="EUR", items=[]),
    ev(8, "order.refunded", 12, orderId="o1", amount=20),
    ev(9, "email.sent", 13),
    ev(10, "email.opened", 14),
    ev(11, "email.sent", 15),
]


def expected_stats(customer: Customer) -> None:
    assert customer.email == "ada@example.com" and customer.name == "Ada Moreau"
    assert customer.order_count == 2
    assert customer.total_spent == Decimal("180.00")
    assert customer.product_views == 2
    assert customer.last_login.day == 9
    assert customer.last_order_at.day == 10
    assert (customer.first_seen.day, customer.last_seen.day) == (1, 15)
    assert (customer.emails_sent, customer.emails_opened) == (2, 1)
    assert customer.email_engagement == pytest.approx(0.25)


def test_events_build_the_customer():
    record_events(HISTORY)
    run_due_jobs()
    expected_stats(Customer.objects.get(external_id="u1"))


def test_out_of_order_and_repeated_batches_give_the_same_stats():
    shuffled = HISTORY[:]
    random.Random(3).shuffle(shuffled)
    for start in range(0, len(shuffled), 3):
        record_events(shuffled[start : start + 3])
        if start % 2:
            run_due_jobs()  # some batches delivered before the next arrives, some after
    record_events(HISTORY)  # every event sent again: all duplicates
    record_events(shuffled[:5] + shuffled[:5])
    run_due_jobs()
    expected_stats(Customer.objects.get(external_id="u1"))


def test_user_created_never_takes_another_customers_email():
    CustomerFactory(external_id="u0", email="ada@example.com")
    record_events([ev(1, "user.created", 1, email="ada@example.com", name="Ada")])
    run_due_jobs()
    customer = Customer.objects.get(external_id="u1")
    assert customer.email is None and customer.name == "Ada"


def test_anonymous_events_touch_no_customer():
    record_events([{"eventName": "product.viewed", "sessionId": "s1"}])
    run_due_jobs()
    assert Customer.objects.count() == 0


def test_stats_cost_the_same_queries_for_one_user_or_hundreds():
    """Storing a batch and delivering it to every consumer (stats, workflow triggers)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(batch: list[dict]) -> int:
        with CaptureQueriesContext(connection) as captured:
            record_events(batch)
            run_due_jobs()
        return len(captured)

    one = queries([ev(1, "order.completed", 1, user="u0", total=10),
                   ev(2, "user.created", 1, user="u0", email="p0@x.test")])  # fmt: skip

    def batch(first: int, users: int, profiles: range) -> list[dict]:
        orders = [ev(n, "order.completed", 1 + n % 20, user=f"u{n % users}", total=10)
                  for n in range(first, first + 900)]  # fmt: skip
        return orders + [
            ev(first + 1000 + n, "user.created", 1, user=f"u{n}", email=f"p{n}@x.test")
            for n in profiles
        ]

    hundreds = queries(batch(3, 300, range(1, 5)))
    assert queries(batch(5000, 600, range(301, 305))) == hundreds, "not one query per user"
    assert one <= hundreds, "a few users go the cheaper way (plain VALUES)"
    assert Customer.objects.count() == 600
    assert Customer.objects.get(external_id="u7").order_count == 3 + 1  # m7, m307, m607; m5407
    assert Customer.objects.get(external_id="u4").email == "p4@x.test"
