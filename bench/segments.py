"""Segment refresh over a million customers, on one machine.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
    .venv/bin/python -m bench.segments [--customers 1000000] [--sample 20000]

Makes its own database (`<name>_bench_segments`), fills it with customers whose
spending follows a long tail (about 2% spent over 1,000), and times:
- the first refresh of the seed's "High-Value Customers" (everyone joins: inserts, and a
  segment.entered event per member on the bus);
- a second refresh after 1% of customers changed (the usual case: a small difference);
- the baseline: the same rules as a per-customer Python predicate over a sample of
  customers loaded from the database, extrapolated to all of them.
Refresh times are wall-clock for the whole call, publishing and the bus listeners
included. Prints seconds and the ratios. Not a test: figures vary with the machine.
"""

from __future__ import annotations

import argparse
import time

from bench.common import fresh_postgres

FILL = """
INSERT INTO customers (external_id, email, name, phone, timezone, locale, email_opt_in,
    email_opt_in_source, sms_opt_in, sms_opt_in_source, traits, total_spent, order_count,
    product_views, emails_sent, emails_opened, emails_clicked, email_engagement,
    last_login, last_seen, first_seen, created_at, updated_at)
SELECT 'user-' || n, 'shopper' || n || '@example.com', '', '', 'UTC', '', random() < 0.6,
    '', false, '', '{}'::jsonb, spent, floor(spent / 150 + random() * 3)::int,
    floor(random() * 80)::int, 0, 0, 0, random(),
    now() - random() * interval '90 days', now() - random() * interval '30 days',
    now() - interval '400 days', now(), now()
FROM (SELECT n, round((-ln(1 - random()) * 250)::numeric, 2) AS spent
      FROM generate_series(1, %s) AS n) AS people
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=20_000, help="customers for the baseline")
    args = parser.parse_args()
    fresh_postgres("bench_segments")

    from django.db import connection

    from benchbarrier import clock
    from benchbarrier.rules import evaluate
    from benchbarrier.services.audit import Actor
    from marketing.demo import SEED_SEGMENTS
    from marketing.models import Customer
    from marketing.rules import CustomerContext, parse_customer_rules
    from marketing.services.segments import refresh_segment, save_segment

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(FILL, [args.customers])
        cursor.execute("ANALYZE customers")
    print(f"{args.customers:,} customers made in {time.perf_counter() - started:.1f} s")

    description, rules = SEED_SEGMENTS["High-Value Customers"]
    segment = save_segment(
        name="High-Value Customers", description=description, rules=rules,
        actor=Actor.system("bench"),
    )  # fmt: skip

    def timed_refresh() -> tuple[object, float]:
        started = time.perf_counter()
        result = refresh_segment(segment=segment)
        return result, time.perf_counter() - started

    first, first_seconds = timed_refresh()
    print(
        f"first refresh:  {first_seconds:6.2f} s  ({first.joined:,} joined; "
        f"{first.joined:,} segment.entered events stored and sent on the bus)"
    )

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE customers SET total_spent = CASE WHEN total_spent > 1000 THEN 10 "
            "ELSE 5000 END, order_count = 20 WHERE id % 100 = 0"
        )
    second, second_seconds = timed_refresh()
    print(
        f"second refresh: {second_seconds:6.2f} s  ({second.joined:,} joined, "
        f"{second.left:,} left, {second.member_count:,} members)"
    )

    node = parse_customer_rules(rules).lower(clock.now())
    started = time.perf_counter()
    offset = args.customers // 3
    sample = list(Customer.objects.order_by("id")[offset : offset + args.sample])
    matched = sum(1 for customer in sample if evaluate(node, CustomerContext(customer, [])))
    per_customer = (time.perf_counter() - started) / len(sample)
    python_total = per_customer * args.customers
    print(
        f"python baseline: {per_customer * 1e6:.1f} µs per customer (load + evaluate, "
        f"{matched:,} of {len(sample):,} matched) -> {python_total:6.2f} s for all"
    )
    print(f"ratio python / SQL refresh (first):  {python_total / first_seconds:.0f}x")
    print(f"ratio python / SQL refresh (second): {python_total / second_seconds:.0f}x")
    target = "meets" if max(first_seconds, second_seconds) < 5 else "MISSES"
    print(f"target < 5 s over {args.customers:,} customers: {target}")


if __name__ == "__main__":
    main()
