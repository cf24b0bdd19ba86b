"""Email delivery throughput through the whole path, on one machine.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
    .venv/bin/python -m bench.emails [--emails 5000] [--processes 2]

Makes its own database (`<name>_bench_email`), with anymail's test backend as the ESP.
The whole path: `--emails` deliveries are queued, then `--processes` worker processes
drain the durable queue (claim jobs, decide consent / suppression / smart sending /
quiet hours, render, hand to anymail, record the delivery, the spend entry and the
email.sent event). Then each stage alone, per email, in this process: claim and
complete a job (jobs.noop), the sending decision, rendering, and the anymail hand-off.
Prints emails/s and microseconds per stage. Not a test: figures vary.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Callable

from bench.common import ROOT, fresh_postgres

CART = {
    "cart": {
        "items": [{"name": "Trail shoes", "quantity": 1, "price": "119.00"},
                  {"name": "Socks", "quantity": 2, "price": "24.00"}],
        "total": "167.00", "currency": "EUR", "url": "https://shop.example.com/cart/1",
    }
}  # fmt: skip
CLAIM_BATCH = os.environ.get("BENCH_CLAIM_BATCH", "50")


def per_item(label: str, count: int, func: Callable[[int], object]) -> None:
    started = time.perf_counter()
    for n in range(count):
        func(n)
    print(f"  {label:48} {(time.perf_counter() - started) / count * 1e6:8.0f} µs")


def drain() -> None:
    """A worker: drain the queue until it is empty (run as a child process)."""
    import django

    django.setup()
    from jobs import runner

    while runner.drain(worker=f"bench-{os.getpid()}"):
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emails", type=int, default=5000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--drain", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.update(EMAIL_BACKEND="anymail.backends.test.EmailBackend",
                      EMAIL_QUIET_HOURS="", JOBS_CLAIM_BATCH=CLAIM_BATCH)  # fmt: skip
    if args.drain:
        drain()
        return
    fresh_postgres("bench_email")

    from django.db import connection
    from django.db.models import Max, Min

    from benchbarrier import clock
    from jobs import runner
    from jobs.models import Job
    from jobs.services import JobSpec, enqueue_many
    from marketing.email.sending import _message, _send, render_delivery, sending_decisions
    from marketing.email.services import queue_email
    from marketing.models import Customer, EmailDelivery

    count = args.emails
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO customers (external_id, email, name, phone, timezone, locale, "
            "email_opt_in, email_opt_in_source, sms_opt_in, sms_opt_in_source, traits, "
            "total_spent, order_count, product_views, emails_sent, emails_opened, "
            "emails_clicked, email_engagement, created_at, updated_at) "
            "SELECT 'u' || n, 'shopper' || n || '@example.com', 'Shopper ' || n, '', 'UTC', "
            "'', true, 'bench', false, '', '{}', 0, 0, 0, 0, 0, 0, 0, now(), now() "
            "FROM generate_series(1, %s) n",
            [count + 1000],
        )
    customers = list(Customer.objects.order_by("id"))
    for customer in customers[:count]:
        queue_email(template="abandoned-cart-reminder", customer=customer, variables=CART)

    started = time.perf_counter()
    workers = [
        subprocess.Popen([sys.executable, "-m", "bench.emails", "--drain"], cwd=ROOT)
        for _ in range(args.processes)
    ]
    for worker in workers:
        worker.wait()
    wall = time.perf_counter() - started
    sent = EmailDelivery.objects.filter(status="sent").count()
    # From the first claim to the last send: process start-up is not email work.
    first_claim = Job.objects.filter(job_type="email.send").aggregate(t=Min("started_at"))["t"]
    last_sent = EmailDelivery.objects.aggregate(t=Max("sent_at"))["t"]
    elapsed = (last_sent - first_claim).total_seconds()
    rate = sent / elapsed
    print(f"whole path: {sent:,} of {count:,} emails sent in {elapsed:.2f} s by "
          f"{args.processes} processes = {rate:,.0f} emails/s "
          f"(claim batch {CLAIM_BATCH}; {wall:.1f} s with process start-up)")  # fmt: skip

    sample = 1000
    print(f"per email, by stage ({sample:,} emails, one process):")
    enqueue_many([JobSpec("jobs.noop", {}) for _ in range(sample)])
    per_item("claim + complete a job (jobs.noop, batched)", 1,
             lambda _: [None for _ in iter(lambda: runner.drain(worker="bench"), 0)])  # fmt: skip
    fresh = [
        queue_email(template="abandoned-cart-reminder", customer=c, variables=CART)
        for c in customers[count : count + sample]
    ]
    fresh = list(EmailDelivery.objects.filter(pk__in=[d.pk for d in fresh])
                 .select_related("template", "customer"))  # fmt: skip
    now = clock.now()
    per_item("sending decision (50 at a time)", sample // 50,
             lambda n: sending_decisions(fresh[n * 50 : n * 50 + 50], now))  # fmt: skip
    rendered: dict[int, object] = {}
    per_item("render (template, layout, tracked links)", sample,
             lambda n: rendered.__setitem__(n, render_delivery(fresh[n])))  # fmt: skip
    from django.core.mail import get_connection

    with get_connection() as esp:
        per_item("hand to anymail (test backend)", sample,
                 lambda n: _send(_message(fresh[n], rendered[n], esp), fresh[n]))  # fmt: skip
    print("(claim + complete and the decision are per batch; divide by 1,000 and 50)")
    target = "meets" if rate >= 1000 else "MISSES"
    print(f"target >= 1,000 emails/s on 2 cores: {target}")


if __name__ == "__main__":
    main()
