"""Demo data for `make run`: customers with a few months of events, and the seed's
three example segments, refreshed so they have members."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta

from analytics.services import store_events
from analytics.validation import EventInput
from benchbarrier import clock
from benchbarrier.demo import demo_loader
from benchbarrier.services.audit import Actor
from jobs.runner import run_until_idle
from marketing.models import Customer, Segment
from marketing.services.customers import upsert_customers
from marketing.services.segments import refresh_segment, save_segment

SEED_SEGMENTS = {  # the seed's exampleSegments, rules exactly as it writes them
    "High-Value Customers": (
        "Spent over 500 across more than 3 orders (the seed's rules).",
        [
            {"field": "total_spent", "operator": "greater_than", "value": 500},
            {"field": "order_count", "operator": "greater_than", "value": 3, "combinator": "and"},
        ],
    ),
    "Inactive Users": (
        "No login for 30 days and no order yet (the seed's rules).",
        [
            {"field": "last_login", "operator": "less_than", "value": "30_days_ago"},
            {"field": "total_orders", "operator": "equals", "value": 0, "combinator": "and"},
        ],
    ),
    "Product Enthusiasts": (
        "Many product views and engaged with our emails (the seed's rules).",
        [
            {"field": "product_views", "operator": "greater_than", "value": 10},
            {
                "field": "email_engagement",
                "operator": "greater_than",
                "value": 0.5,
                "combinator": "and",
            },
        ],
    ),
}
DEMO_CUSTOMERS = 120
FIRST_NAMES = ["Ada", "Bram", "Chloé", "Dev", "Elif", "Femi", "Greta", "Hiro", "Ines", "Jonas"]
LAST_NAMES = ["Moreau", "Okafor", "Lindqvist", "Tanaka", "García", "Novak", "Singh", "Byrne"]


@demo_loader("marketing: demo customers, their events and the seed's segments")
def load(out: Callable[[str], None]) -> None:
    actor = Actor.system("demo")
    if not Customer.objects.filter(external_id="demo-1").exists():
        _customers_and_events(out, actor)
    # The events' stats arrive through the bus; deliver them before counting members.
    for _ in run_until_idle(worker="demo", job_types=["bus.deliver"]):
        pass
    for name, (description, rules) in SEED_SEGMENTS.items():
        segment = Segment.objects.filter(name=name).first()
        if segment is None:
            segment = save_segment(name=name, description=description, rules=rules, actor=actor)
        result = refresh_segment(segment=segment)
        out(f"  {name}: {result.member_count} members")


def _customers_and_events(out: Callable[[str], None], actor: Actor) -> None:
    rng = random.Random(7)  # noqa: S311 (demo data, not security)
    now = clock.now()
    people = []
    for n in range(1, DEMO_CUSTOMERS + 1):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        people.append(
            {
                "external_id": f"demo-{n}",
                "email": f"{first.lower()}.{last.lower()}.{n}@example.com".replace(
                    "é", "e"
                ).replace("í", "i"),
                "name": f"{first} {last}",
                "email_opt_in": rng.random() < 0.7,
                "email_opt_in_source": "checkout",
                "traits": {"plan": rng.choice(["free", "plus", "pro"])},
            }
        )
    upsert_customers(people, actor=actor)
    events: list[EventInput] = []
    for n in range(1, DEMO_CUSTOMERS + 1):
        user = f"demo-{n}"
        profile = rng.choice(["big", "browser", "lapsed", "casual"])
        days = rng.randint(35, 120) if profile == "lapsed" else rng.randint(0, 20)
        events.append(_event(user, "user.login", now - timedelta(days=days), {}))
        for i in range(rng.randint(60, 90) if profile == "browser" else rng.randint(0, 30)):
            at = now - timedelta(days=rng.randint(days, 120), minutes=i)
            events.append(_event(user, "product.viewed", at, {"productId": f"sku-{i % 17}"}))
        for i in range(rng.randint(6, 12) if profile == "big" else rng.randint(0, 3)):
            at = now - timedelta(days=rng.randint(days, 150), hours=i)
            total = round(rng.uniform(80, 400), 2)
            events.append(
                _event(
                    user,
                    "order.completed",
                    at,
                    {"orderId": f"{user}-o{i}", "total": total, "currency": "EUR", "items": []},
                )
            )
        sent = rng.randint(4, 10)
        for i in range(sent):
            at = now - timedelta(days=rng.randint(days, 130), hours=i)
            events.append(_event(user, "email.sent", at, {}))
            if profile == "browser" or rng.random() < 0.3:
                events.append(_event(user, "email.opened", at + timedelta(hours=1), {}))
                events.append(_event(user, "email.clicked", at + timedelta(hours=2), {}))
    store_events(events)
    out(f"  {DEMO_CUSTOMERS} customers, {len(events)} events")


def _event(user: str, name: str, at: object, properties: dict) -> EventInput:
    return EventInput(name, user, None, f"demo:{user}:{name}:{at}", at, properties)  # type: ignore[arg-type]
