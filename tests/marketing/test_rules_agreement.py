"""Property: for any rules and customers, the SQL compiler (segment membership) and
the Python predicate (workflow conditions) give the same answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.models import Event
from benchbarrier.rules import evaluate, to_q
from marketing.models import Customer
from marketing.rules import CUSTOMER_RULES, CustomerContext, parse_customer_rules

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.sampled_from([0.5, 2.25, -1.5]),
    st.sampled_from(["gold", "Gold", "silver", "", "1"]),
)
times = st.one_of(st.none(), st.integers(0, 60).map(lambda d: NOW - timedelta(days=d, hours=3)))
customers = st.fixed_dictionaries(
    {
        "total_spent": st.integers(0, 300_000).map(lambda c: Decimal(c) / 100),
        "order_count": st.integers(0, 10),
        "product_views": st.integers(0, 80),
        "email_engagement": st.sampled_from([0.0, 0.25, 0.5, 0.7, 0.71, 1.0]),
        "email_opt_in": st.booleans(),
        "name": st.sampled_from(["", "Ada Moreau", "ada", "Bram Okafor"]),
        "email": st.one_of(st.none(), st.sampled_from(["ada@example.com", "bram@shop.test"])),
        "last_login": times,
        "last_order_at": times,
        "traits": st.dictionaries(
            st.sampled_from(["plan", "age", "vip"]), json_scalars, max_size=3
        ),
        "events": st.lists(
            st.tuples(st.sampled_from(["product.viewed", "order.completed"]), st.integers(0, 40)),
            max_size=6,
        ),
        "has_external_id": st.booleans(),
    }
)

number_fields = ["total_spent", "order_count", "product_views", "email_engagement", "total_orders"]
numbers = st.one_of(st.integers(-1, 3000), st.sampled_from([0.7, 0.5, 12.5, 1000.01]))
time_values = st.sampled_from(["30_days_ago", "12_hours_ago", "today", "yesterday", "2026-11-01"])


def condition() -> st.SearchStrategy[dict[str, Any]]:
    def make(field: str, operator: str, value: Any) -> dict[str, Any]:
        return {"field": field, "operator": operator, "value": value}

    number = st.builds(
        make,
        st.sampled_from(number_fields),
        st.sampled_from(["equals", "not_equals", "greater_than", "less_than"]),
        numbers,
    ) | st.builds(make, st.sampled_from(number_fields), st.sampled_from(["in", "not_in"]),
                  st.lists(numbers, min_size=1, max_size=3))  # fmt: skip
    text = st.builds(
        make,
        st.sampled_from(["name", "email"]),
        st.sampled_from(["equals", "not_equals", "contains"]),
        st.sampled_from(["ada", "Ada Moreau", "", "example", "@"]),
    ) | st.builds(make, st.just("email"), st.sampled_from(["equals", "not_equals"]), st.none())
    boolean = st.builds(make, st.just("email_opt_in"), st.sampled_from(["equals", "not_equals"]),
                        st.booleans())  # fmt: skip
    when = st.builds(
        make,
        st.sampled_from(["last_login", "last_order_at"]),
        st.sampled_from(["equals", "not_equals", "greater_than", "less_than"]),
        time_values,
    ) | st.builds(make, st.just("last_login"), st.sampled_from(["equals", "not_equals"]),
                  st.none())  # fmt: skip
    trait_field = st.sampled_from(["traits.plan", "traits.age", "traits.vip"])
    trait = (
        st.builds(make, trait_field, st.sampled_from(["equals", "not_equals"]), json_scalars)
        | st.builds(make, trait_field, st.sampled_from(["greater_than", "less_than"]),
                    st.integers(-5, 5) | st.just(0.5))
        | st.builds(make, trait_field, st.just("contains"), st.sampled_from(["ol", "G", "1"]))
        | st.builds(make, trait_field, st.sampled_from(["in", "not_in"]),
                    st.lists(json_scalars.filter(lambda v: v is not None), min_size=1, max_size=3))
    )  # fmt: skip
    event = st.builds(
        lambda name, did, at_least, window: {
            "event": name,
            "did": did,
            **({"atLeast": at_least} if did else {}),
            **window,
        },
        st.sampled_from(["product.viewed", "order.completed"]),
        st.booleans(),
        st.integers(1, 3),
        st.sampled_from([{}, {"within": "7d"}, {"since": "30_days_ago"}]),
    )
    return number | text | boolean | when | trait | event


def with_combinator(items: list[dict[str, Any]], combinators: list[str]) -> list[dict[str, Any]]:
    return [
        {**item, "combinator": combinator} if index else item
        for index, (item, combinator) in enumerate(zip(items, combinators, strict=False))
    ]


rule_lists = st.recursive(
    st.lists(condition(), min_size=1, max_size=3),
    lambda inner: st.lists(
        condition() | inner.map(lambda rules: {"all": rules}) | inner.map(lambda r: {"any": r}),
        min_size=1,
        max_size=3,
    ),
    max_leaves=6,
).flatmap(
    lambda items: st.lists(st.sampled_from(["and", "or"]), min_size=len(items),
                           max_size=len(items)).map(lambda cs: with_combinator(items, cs))
)  # fmt: skip


def _strip_inner_combinators(rules: Any) -> Any:
    """Groups join their rules themselves: only a top-level list carries combinators."""
    if isinstance(rules, dict):
        key = "all" if "all" in rules else "any" if "any" in rules else None
        if key is None:
            return rules
        inner = [
            {k: v for k, v in _strip_inner_combinators(item).items() if k != "combinator"}
            for item in rules[key]
        ]
        return {**rules, key: inner}
    return [_strip_inner_combinators(item) for item in rules]


def _create(data: list[dict[str, Any]]) -> list[tuple[Customer, list[Event]]]:
    made = []
    for index, spec in enumerate(data):
        spec = dict(spec)
        events = spec.pop("events")
        external_id = f"u{index}" if spec.pop("has_external_id") or not spec["email"] else None
        if spec["email"]:
            spec["email"] = f"{index}.{spec['email']}"
        customer = Customer.objects.create(external_id=external_id, **spec)
        rows = [
            Event(
                event_name=name,
                user_id=external_id,
                message_id=f"{index}-{n}",
                timestamp=NOW - timedelta(days=days, minutes=1),
            )
            for n, (name, days) in enumerate(events)
        ]
        Event.objects.bulk_create(rows)
        made.append((Customer.objects.get(pk=customer.pk), rows if external_id else []))
    return made


@pytest.mark.django_db
@settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rules=rule_lists, people=st.lists(customers, min_size=1, max_size=5))
def test_sql_and_python_agree(rules: list[dict[str, Any]], people: list[dict[str, Any]]) -> None:
    rules = _strip_inner_combinators(rules)
    node = parse_customer_rules(rules).lower(NOW)
    with transaction.atomic():
        made = _create(people)
        in_sql = set(
            Customer.objects.filter(to_q(node, CUSTOMER_RULES)).values_list("pk", flat=True)
        )
        in_python = {
            customer.pk
            for customer, events in made
            if evaluate(node, CustomerContext(customer, events))
        }
        transaction.set_rollback(True)
    assert in_sql == in_python, rules
