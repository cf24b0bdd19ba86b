"""The rule language: parsing, precedence, validation messages, time values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from benchbarrier.rules import RuleError, describe_rules, tree
from marketing.demo import SEED_SEGMENTS
from marketing.rules import parse_customer_rules

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def rule(field: str, operator: str, value: object, combinator: str | None = None) -> dict:
    item = {"field": field, "operator": operator, "value": value}
    if combinator:
        item["combinator"] = combinator
    return item


@pytest.mark.parametrize("name", sorted(SEED_SEGMENTS))
def test_the_seeds_example_segments_are_accepted_verbatim(name: str) -> None:
    _, rules = SEED_SEGMENTS[name]
    parse_customer_rules(rules)


def test_total_orders_is_the_seeds_name_for_order_count() -> None:
    node = parse_customer_rules([rule("total_orders", "greater_than", 5)]).lower(NOW)
    assert isinstance(node, tree.Compare)
    assert node.field.name == "order_count"


def test_and_binds_tighter_than_or() -> None:
    a, b, c = (rule("order_count", "equals", n) for n in (1, 2, 3))
    node = parse_customer_rules([a, {**b, "combinator": "or"}, {**c, "combinator": "and"}]).lower(
        NOW
    )
    # a or (b and c)
    assert isinstance(node, tree.Any_)
    first, second = node.nodes
    assert isinstance(first, tree.Compare) and first.value == 1
    assert isinstance(second, tree.All)
    assert [n.value for n in second.nodes] == [2, 3]


def test_groups_nest() -> None:
    rules = {
        "all": [
            rule("email_opt_in", "equals", True),
            {
                "any": [
                    rule("traits.plan", "equals", "pro"),
                    rule("order_count", "greater_than", 3),
                ]
            },
        ]
    }
    node = parse_customer_rules(rules).lower(NOW)
    assert isinstance(node, tree.All)
    assert isinstance(node.nodes[1], tree.Any_)
    assert (
        describe_rules(rules)
        == 'email opt in is true and (trait plan is "pro" or order count > 3)'
    )


def test_relative_and_iso_times_resolve_against_the_clock() -> None:
    ago = parse_customer_rules([rule("last_login", "less_than", "30_days_ago")]).lower(NOW)
    assert ago == tree.Compare(ago.field, tree.Op.LT, NOW - timedelta(days=30))
    hours = parse_customer_rules([rule("last_seen", "greater_than", "12_hours_ago")]).lower(NOW)
    assert hours.value == NOW - timedelta(hours=12)
    today = parse_customer_rules([rule("last_seen", "equals", "today")]).lower(NOW)
    midnight = datetime(2026, 11, 25, tzinfo=UTC)
    assert [n.value for n in today.nodes] == [midnight, midnight + timedelta(days=1)]
    after = parse_customer_rules([rule("first_seen", "greater_than", "2026-01-31")]).lower(NOW)
    assert after.op == tree.Op.GE and after.value == datetime(2026, 2, 1, tzinfo=UTC)


def test_event_conditions() -> None:
    node = parse_customer_rules(
        [
            {"event": "product.viewed", "atLeast": 3, "within": "7d"},
            {"event": "order.completed", "did": False, "since": "30_days_ago"},
        ]
    ).lower(NOW)
    viewed, not_ordered = node.nodes
    assert viewed == tree.EventsAtLeast("product.viewed", 3, NOW - timedelta(days=7))
    assert not_ordered == tree.Not(
        tree.EventsAtLeast("order.completed", 1, NOW - timedelta(days=30))
    )


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        (
            [rule("total_spent", "greater_than", 1), rule("order_count", "greater_than", 1),
             rule("order_count", "gt", 5)],
            [("rules[2].operator", 'unknown operator "gt"; use one of equals, not_equals, '
              "contains, greater_than, less_than, in, not_in")],
        ),
        ([rule("shoe_size", "equals", 42)], [("rules[0].field", 'unknown field "shoe_size"')]),
        ([rule("email", "greater_than", "a")], [("rules[0].operator", "greater_than does not apply to text field")]),
        ([rule("order_count", "equals", "five")], [("rules[0].value", '"order_count" is a number; "five" is not')]),
        ([rule("last_login", "less_than", "last tuesday")], [("rules[0].value", '"last tuesday" is not a time')]),
        ([rule("order_count", "in", [])], [("rules[0].value", "in needs a non-empty list")]),
        ([rule("order_count", "equals", 1, "xor")], [("rules[0].combinator", 'must be "and" or "or"')]),
        ([{"field": "order_count", "operator": "equals"}], [("rules[0].value", "is required")]),
        ([{"field": "order_count", "operator": "equals", "value": 1, "valeu": 2}], [("rules[0]", 'unknown key "valeu"')]),
        ([{"event": "Order Completed"}], [("rules[0].event", '"Order Completed" is not an event name')]),
        ([{"event": "order.completed", "within": "a week"}], [("rules[0].within", "\"a week\" is not a duration")]),
        ([{"any": [rule("order_count", "equals", 1, "or")]}], [("rules[0].any[0].combinator", "inside \"any\" every rule is joined by or")]),
        ({"field": "order_count"}, [("rules", "expected a list of rules")]),
        ([], [("rules", "needs at least one rule")]),
    ],
)  # fmt: skip
def test_validation_names_the_bad_rule(rules: object, expected: list[tuple[str, str]]) -> None:
    with pytest.raises(RuleError) as caught:
        parse_customer_rules(rules)
    assert len(caught.value.errors) == len(expected)
    for (path, message), (want_path, want_start) in zip(
        caught.value.errors, expected, strict=True
    ):
        assert path == want_path
        assert message.startswith(want_start), message


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(RuleError) as caught:
        parse_customer_rules([rule("nope", "equals", 1), rule("order_count", "gt", 1)])
    assert [path for path, _ in caught.value.errors] == ["rules[0].field", "rules[1].operator"]
    assert str(caught.value).startswith('rules[0].field: unknown field "nope"')
