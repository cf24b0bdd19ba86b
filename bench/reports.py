"""The Monthly Business Review over 10,000,000 events and 200,000 customers, from the
rollups and from the raw events, on one machine.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
    .venv/bin/python -m bench.reports [--events 10000000] [--customers 200000]

Makes its own database (`<name>_bench_reports`) and writes, over 23 months: a sign-up per
customer, about 9% of the events as orders (one in ten in EUR, converted at 1.10), 15% of
the customers subscribing (a third cancelling later), the rest page views; the customers
with a "Regulars" segment of 10% of them. Then:
- rebuilds the rollups from those events (`manage.py analytics_rollups --rebuild`);
- the core figures of the seed's Monthly Business Review for November 2026 (mrr,
  customer_count, churn_rate, ltv: the month, the month before, and by customer_segment),
  from the rollups and from the raw events, checked equal, with the time of each;
- the whole report run from the rollups as a scheduled run makes it (the core figures,
  8 earlier months per metric for its chart and anomalies, a year earlier, the month
  breakdown), which must take under 2 s.
Prints the times and the ratio. Not a test: figures vary with the machine.
"""

from __future__ import annotations

import argparse
import os
import time

from bench.common import fresh_postgres

SPAN = "interval '700 days'"  # 2025-01-01 to early December 2026
EVENTS = """
INSERT INTO analytics_events (event_name, user_id, session_id, message_id, properties,
    timestamp, created_at)
SELECT {name}, {user}, 's-' || n, '{prefix}-' || n, {properties},
    timestamptz '2025-01-01' + random() * {span}, now()
FROM generate_series(1::bigint, {count}) AS n
"""
CUSTOMERS = """
INSERT INTO customers (external_id, email, name, phone, timezone, locale, email_opt_in,
    email_opt_in_source, sms_opt_in, sms_opt_in_source, traits, total_spent, order_count,
    product_views, emails_sent, emails_opened, emails_clicked, email_engagement,
    first_seen, created_at, updated_at)
SELECT 'user-' || n, 'shopper' || n || '@example.com', '', '', 'UTC', '', true, '', false,
    '', '{}'::jsonb, 0, 0, 0, 0, 0, 0, 0, now(), now(), now()
FROM generate_series(1, %s) AS n
"""


def fill(events: int, customers: int) -> None:
    from django.db import connection

    orders, subscriptions = events * 9 // 100, customers * 15 // 100
    cancelled = subscriptions // 3
    views = events - customers - orders - subscriptions - cancelled
    parts = [
        ("'user.created'", "'user-' || n", "'{}'::jsonb", "signup", customers),
        ("'order.completed'", f"'user-' || (1 + floor(random() * {customers})::int)",
         "jsonb_build_object('orderId', 'o-' || n, 'total', 5 + (n % 200) + 0.99, "
         "'currency', CASE WHEN n % 10 = 0 THEN 'EUR' ELSE 'USD' END)", "order", orders),
        ("'subscription.started'", "'user-' || n",
         "jsonb_build_object('subscriptionId', 'sub-' || n, 'amount', 10 + (n % 5) * 10, "
         "'interval', CASE WHEN n % 4 = 0 THEN 'year' ELSE 'month' END)", "start",
         subscriptions),
        ("'page.viewed'", f"'user-' || (1 + floor(random() * {customers})::int)",
         "'{}'::jsonb", "view", views),
    ]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")  # the same shop on every run
        for name, user, properties, prefix, count in parts:
            print(f"   {count:>10,} {name.strip(chr(39))}")
            cursor.execute(EVENTS.format(name=name, user=user, properties=properties,
                                         prefix=prefix, count=count, span=SPAN))  # fmt: skip
        # a third of the subscriptions cancelled some time after they started
        cursor.execute(f"""
            INSERT INTO analytics_events (event_name, user_id, session_id, message_id,
                properties, timestamp, created_at)
            SELECT 'subscription.cancelled', user_id, session_id, 'cancel-' || id,
                jsonb_build_object('subscriptionId', properties->>'subscriptionId'),
                timestamp + interval '60 days', now()
            FROM analytics_events WHERE event_name = 'subscription.started'
            ORDER BY id LIMIT {cancelled}""")
        print(f"   {cancelled:>10,} subscription.cancelled")
        cursor.execute(CUSTOMERS, [customers])
        cursor.execute("ANALYZE")


def regulars(customers: int) -> None:
    from marketing.models import Customer, Segment, SegmentMember

    segment = Segment.objects.create(name="Regulars", kind="static")
    members = Customer.objects.order_by("pk").values_list("pk", flat=True)[: customers // 10]
    SegmentMember.objects.bulk_create(
        [SegmentMember(segment=segment, customer_id=pk) for pk in members], batch_size=5000
    )


def core(report, period) -> dict:
    """The month and the month before of each metric, and each by customer_segment."""
    from analytics import comparisons
    from benchbarrier.metrics_registry import get_metric

    found = {}
    for name in report.config["metrics"]:
        metric = get_metric(name)
        found[name] = (metric.compute(period), metric.compute(comparisons.previous(period)),
                       metric.split("customer_segment", period))  # fmt: skip
    return found


def reuse(suffix: str) -> None:
    """Point at the database of the last run, migrated, without filling it again."""
    import subprocess
    import sys
    from urllib.parse import urlsplit, urlunsplit

    import django

    from bench.common import ROOT

    parts = urlsplit(os.environ["DATABASE_URL"])
    name = f"{parts.path.lstrip('/') or 'postgres'}_{suffix}"
    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchbarrier.settings")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True)
    django.setup()


def timed(work):
    started = time.perf_counter()
    result = work()
    return result, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument(
        "--reuse", action="store_true", help="keep the last run's events: rebuild, measure"
    )
    args = parser.parse_args()
    os.environ["CURRENCY_RATES"] = "EUR=1.10"
    if args.reuse:
        reuse("bench_reports")
    else:
        fresh_postgres("bench_reports")
    from django.conf import settings
    from django.core.management import call_command

    from analytics import report_figures
    from analytics.models import AnalyticsReport
    from analytics.query import parse_period

    if not args.reuse:
        print(f"== writing {args.events:,} events for {args.customers:,} customers")
        _, took = timed(lambda: fill(args.events, args.customers))
        print(f"   ({took:.0f} s)")
        regulars(args.customers)
    print("== rebuilding the rollups")
    call_command("analytics_rollups", "--rebuild")
    from django.db import connection

    with connection.cursor() as cursor:  # (autovacuum's work, done now: fresh tables)
        for table in ("analytics_order_hours", "analytics_order_totals", "analytics_buyers",
                      "analytics_signups", "analytics_subscriptions"):  # fmt: skip
            cursor.execute(f"VACUUM ANALYZE {table}")
    report = AnalyticsReport.objects.get(name="Monthly Business Review")
    november = parse_period(None, "2026-11-01", "2026-11-30")
    from_rollups, rollup_seconds = timed(lambda: core(report, november))
    settings.ANALYTICS_ROLLUPS = False
    from_events, event_seconds = timed(lambda: core(report, november))
    settings.ANALYTICS_ROLLUPS = True
    agree = from_rollups == from_events
    _, run_seconds = timed(lambda: report_figures.compute(report, november, summarise=False))
    print("== Monthly Business Review, November 2026")
    for name, (value, previous, parts) in from_rollups.items():
        print(f"   {name:15} {value!s:>12} (October {previous!s:>10}); by segment {parts}")
    print(f"core figures from the rollups {rollup_seconds:8.3f} s")
    ratio = event_seconds / rollup_seconds
    print(f"core figures from the events  {event_seconds:8.3f} s   ratio {ratio:.0f}x; "
          f"the same figures: {'yes' if agree else 'NO'}")  # fmt: skip
    print(f"the whole report run (rollups) {run_seconds:7.3f} s   target < 2 s: "
          f"{'met' if run_seconds < 2 else 'MISSED'}")  # fmt: skip
    if not agree:
        raise SystemExit(f"rollups {from_rollups} != events {from_events}")


if __name__ == "__main__":
    main()
