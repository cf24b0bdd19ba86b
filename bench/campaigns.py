"""Campaign fan-out and A/B decisions, on one machine.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
    .venv/bin/python -m bench.campaigns [--recipients 100000] [--processes 2]

Makes its own database (`<name>_bench_campaign`), with anymail's test backend as the
ESP. A broadcast to `--recipients` opted-in customers is launched and `--processes`
worker processes drain the durable queue (the launch freezes the audience in
campaign_sends; sender jobs take chunks with SKIP LOCKED, take tokens from the shared
bucket, record the chunk's deliveries, decide, render and hand each message to anymail,
recording each hand-over before the ESP call). Prints messages/s from the first message
out to the last, how long the first message took after the launch, and duplicates found
in the sends table and among the deliveries.

Baseline, same run: the same kind of email queued one `email.send` job per recipient
(the path before campaigns) for a sample of `--baseline` recipients, same processes.

Then the A/B decision: the sends are split A/B with clicks, and `abtest.decide` (one
aggregate query, then 20,000 posterior draws per variant) is timed against the
aggregate query alone. Not a test: figures vary.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time

from bench.common import ROOT, fresh_postgres

CHUNK = os.environ.get("BENCH_SEND_CHUNK", "500")


class LastMessageOnly(list):
    """anymail's test backend keeps every message in `mail.outbox` and numbers each by
    `outbox.index(message)`: a scan of the whole list per message, which over 100,000
    messages would cost more than sending them. The bench keeps only the last one."""

    def append(self, message: object) -> None:
        self.clear()
        super().append(message)


def work(campaign_id: int) -> None:
    """A worker: drain the queue until the campaign (or, with 0, the queue) is done."""
    import django

    django.setup()
    from django.core import mail

    from jobs import runner
    from marketing.models import Campaign

    mail.outbox = LastMessageOnly()
    worker = f"bench-{os.getpid()}"
    if os.environ.get("BENCH_PROFILE"):  # where a worker's time goes: python -m pstats
        import atexit
        import cProfile

        profile = cProfile.Profile()
        profile.enable()
        target = f"{os.environ['BENCH_PROFILE']}.{os.getpid()}"
        atexit.register(lambda: profile.dump_stats(target))
    while True:
        if runner.drain(worker=worker):
            continue
        if not campaign_id:
            return
        if Campaign.objects.filter(pk=campaign_id, status="sent").exists():
            return
        time.sleep(0.02)  # tokens or the next chunk are due in a moment


def machine_cpu_seconds() -> float:
    """CPU time the whole machine spent busy so far (Linux)."""
    with open("/proc/stat") as stat:
        fields = [int(v) for v in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields) - idle) / os.sysconf("SC_CLK_TCK")


def run_workers(processes: int, campaign_id: int) -> float:
    started = time.perf_counter()
    machine = machine_cpu_seconds()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "bench.campaigns", "--work", str(campaign_id)], cwd=ROOT
        )
        for _ in range(processes)
    ]
    for proc in procs:
        proc.wait()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    workers = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
    elsewhere = machine_cpu_seconds() - machine - workers
    print(f"  CPU: {workers:.1f} s in the worker processes, {elsewhere:.1f} s elsewhere "
          "(PostgreSQL...)")  # fmt: skip
    return time.perf_counter() - started


def insert_customers(first: int, count: int) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO customers (external_id, email, name, phone, timezone, locale, "
            "email_opt_in, email_opt_in_source, sms_opt_in, sms_opt_in_source, traits, "
            "total_spent, order_count, product_views, emails_sent, emails_opened, "
            "emails_clicked, email_engagement, created_at, updated_at) "
            "SELECT 'u' || n, 'reader' || n || '@example.com', 'Reader ' || n, '', 'UTC', "
            "'', true, 'bench', false, '', '{}', 0, 0, 0, 0, 0, 0, 0, now(), now() "
            "FROM generate_series(%s, %s) n",
            [first, first + count - 1],
        )


def fan_out(args: argparse.Namespace) -> tuple[float, object]:
    from django.db import connection
    from django.db.models import Count, Max, Min

    from benchbarrier.services.audit import Actor
    from marketing.campaigns import services
    from marketing.models import Campaign, CampaignSend, EmailDelivery, EmailTemplate, Segment

    insert_customers(1, args.recipients)
    segment = Segment.objects.create(name="Everyone", kind="static")
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO segment_members (segment_id, customer_id, joined_at) "
            "SELECT %s, id, now() FROM customers",
            [segment.pk],
        )
    actor = Actor.system("bench")
    campaign = services.save_campaign(
        campaign=Campaign(
            name="Fan-out",
            segment=segment,
            template=EmailTemplate.objects.get(slug="win-back-1"),
            throttle_per_second=1_000_000,  # the bench measures the path, not the throttle
        ),
        actor=actor,
    )
    services.launch(campaign=campaign, actor=actor)
    wall = run_workers(args.processes, campaign.pk)
    campaign.refresh_from_db()
    deliveries = EmailDelivery.objects.filter(source=f"campaign {campaign.pk}", status="sent")
    span = deliveries.aggregate(first=Min("sent_at"), last=Max("sent_at"), n=Count("id"))
    sent = span["n"]
    elapsed = (span["last"] - span["first"]).total_seconds()
    first_out = (span["first"] - campaign.launched_at).total_seconds()
    send_rows = CampaignSend.objects.filter(campaign=campaign)
    duplicate_sends = send_rows.count() - send_rows.values("customer").distinct().count()
    duplicate_mail = sent - deliveries.values("to_email").distinct().count()
    rate = sent / elapsed
    durable = os.environ.get("EMAIL_HANDOVER_DURABLE", "1") not in ("0", "false", "False")
    print(f"fan-out: {sent:,} of {args.recipients:,} messages sent in {elapsed:.2f} s by "
          f"{args.processes} processes = {rate:,.0f} messages/s (chunks of {CHUNK}; "
          f"{wall:.1f} s with process start-up; hand-overs "
          f"{'durable' if durable else 'asynchronous'})")  # fmt: skip
    print(f"  first message out {first_out:.2f} s after the launch "
          f"(the launch froze {send_rows.count():,} sends)")  # fmt: skip
    print(f"  duplicates: {duplicate_sends} in campaign_sends, {duplicate_mail} among "
          f"deliveries; campaign {campaign.status}")  # fmt: skip
    meets = rate >= 1500 and first_out <= 5 and not duplicate_sends and not duplicate_mail
    print(f"  target >= 1,500 messages/s, first out <= 5 s, no duplicate: "
          f"{'meets' if meets else 'MISSES'}")  # fmt: skip
    return rate, campaign


def baseline(args: argparse.Namespace) -> float:
    """The same kind of email, one email.send job per recipient."""
    from django.db.models import Count, Max, Min

    from marketing.email.services import queue_email
    from marketing.models import Customer, EmailDelivery

    insert_customers(args.recipients + 1, args.baseline)
    for customer in Customer.objects.filter(id__gt=args.recipients).order_by("id"):
        queue_email(template="win-back-1", customer=customer, source="baseline")
    run_workers(args.processes, 0)
    span = EmailDelivery.objects.filter(source="baseline", status="sent").aggregate(
        first=Min("sent_at"), last=Max("sent_at"), n=Count("id")
    )
    rate = span["n"] / (span["last"] - span["first"]).total_seconds()
    print(f"baseline: {span['n']:,} messages as one email.send job each = {rate:,.0f} "
          f"messages/s (JOBS_CLAIM_BATCH {os.environ['JOBS_CLAIM_BATCH']})")  # fmt: skip
    return rate


def decision(campaign: object) -> None:
    from django.db import connection

    from benchbarrier import clock
    from marketing.campaigns import abtest
    from marketing.models import Campaign

    table = "campaign_sends"
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET variant = CASE WHEN id %% 2 = 0 THEN 'A' ELSE 'B' END "
            "WHERE campaign_id = %s",
            [campaign.pk],
        )
        cursor.execute(
            "UPDATE email_deliveries SET clicked_at = sent_at + interval '5 minutes' "
            "WHERE id IN (SELECT delivery_id FROM campaign_sends WHERE campaign_id = %s "
            "AND (id %% 10 = 0 OR (id %% 2 = 1 AND id %% 7 = 0)))",
            [campaign.pk],
        )
    Campaign.objects.filter(pk=campaign.pk).update(
        ab_test={"variants": [{"subject": "A"}, {"subject": "B"}], "metric": "click_rate"}
    )
    campaign.refresh_from_db()
    started = time.perf_counter()
    variants = abtest.results(campaign)
    query = time.perf_counter() - started
    started = time.perf_counter()
    outcome = abtest.decide(campaign, now=clock.now())
    whole = time.perf_counter() - started
    recipients = sum(v.recipients for v in variants)
    print(f"A/B decision over {recipients:,} sends: {whole * 1000:.0f} ms "
          f"(the aggregate query alone {query * 1000:.0f} ms, ratio {whole / query:.1f}); "
          f"winner {outcome['winner']}, {outcome['reason']}")  # fmt: skip
    print(f"  target < 1 s: {'meets' if whole < 1 else 'MISSES'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--baseline", type=int, default=20_000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--work", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.update(
        EMAIL_BACKEND="anymail.backends.test.EmailBackend",
        EMAIL_QUIET_HOURS="",
        EMAIL_SMART_SENDING_HOURS="0",
        JOBS_CLAIM_BATCH=os.environ.get("JOBS_CLAIM_BATCH", "50"),
        CAMPAIGN_SEND_CHUNK=CHUNK,
        CAMPAIGN_PARALLEL_SENDERS=str(args.processes),
    )
    if args.work is not None:
        work(args.work)
        return
    fresh_postgres("bench_campaign")
    rate, campaign = fan_out(args)
    base = baseline(args)
    print(f"ratio fan-out / baseline: {rate / base:.2f}")
    decision(campaign)


if __name__ == "__main__":
    main()
