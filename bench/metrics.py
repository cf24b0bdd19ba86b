"""A `/metrics` scrape with a million jobs in the table: the target is under 200 ms.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
    .venv/bin/python -m bench.metrics [--jobs 1000000] [--waiting 5000]

Makes its own database (`<name>_bench_metrics`), fills `job_queue` with `--jobs` rows
(all but `--waiting` finished over the last week, across 12 job types; the waiting ones
due now or later), 50,000 email deliveries of the last day, then times full scrapes
through the test client with the database gauges' cache off (every scrape queries):
- the project's: queue depth and oldest due age per type in one query on the partial
  claim index, the delivery rate over the last hour;
- baseline, in the same run: the obvious query for the same gauges, a GROUP BY over the
  whole table (`Job.objects.values("job_type", "status").annotate(...)`).
Prints p50 and max of each, and the ratio. Not a test.
"""

from __future__ import annotations

import argparse
import statistics
import time

from bench.common import fresh_postgres

FILL_JOBS = """
INSERT INTO job_queue (id, job_type, payload, status, priority, attempts, max_attempts,
    scheduled_for, started_at, completed_at, error_message, traceback, error_history,
    locked_by, created_at)
SELECT gen_random_uuid(), 'type.' || (n %% 12), '{}'::jsonb,
    CASE WHEN n <= %(waiting)s THEN 'pending' WHEN n %% 50 = 0 THEN 'failed'
         ELSE 'completed' END,
    0, 1, 3,
    now() - ((n %% 10080) * interval '1 minute') + CASE WHEN n <= %(waiting)s AND n %% 2 = 0
        THEN interval '1 hour' ELSE interval '0' END,
    now() - ((n %% 10080) * interval '1 minute'),
    CASE WHEN n <= %(waiting)s THEN NULL ELSE now() - ((n %% 10080) * interval '1 minute') END,
    '', '', '[]'::jsonb, '', now() - ((n %% 10080) * interval '1 minute')
FROM generate_series(1, %(jobs)s) AS n
"""


def timed(action, runs: int) -> list[float]:
    found = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        found.append((time.perf_counter() - started) * 1000)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1_000_000)
    parser.add_argument("--waiting", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    fresh_postgres("bench_metrics")
    from django.conf import settings
    from django.db import connection
    from django.db.models import Count, Min
    from django.test import Client

    from jobs.models import Job
    from marketing.models import EmailDelivery, EmailTemplate

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(FILL_JOBS, {"jobs": args.jobs, "waiting": args.waiting})
    template = EmailTemplate.objects.get(slug="welcome")
    EmailDelivery.objects.bulk_create([
        EmailDelivery(template=template, to_email=f"c{n}@example.com", idempotency_key=f"b{n}",
                      status="delivered" if n % 40 else "bounced")
        for n in range(50_000)
    ], batch_size=5000)  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE job_queue")
        cursor.execute("VACUUM ANALYZE email_deliveries")
    print(f"filled {args.jobs:,} jobs ({args.waiting:,} waiting) and 50,000 deliveries "
          f"in {time.perf_counter() - started:.1f} s")  # fmt: skip

    settings.METRICS_CACHE_SECONDS = 0
    settings.METRICS_TOKEN = "bench"  # noqa: S105 (a throwaway database's)
    client = Client()

    def scrape() -> None:
        answer = client.get("/metrics", HTTP_AUTHORIZATION="Bearer bench")
        if answer.status_code != 200 or b"bb_job_queue_depth" not in answer.content:
            raise SystemExit(f"the scrape failed: {answer.status_code}")

    def baseline() -> None:
        list(Job.objects.values("job_type", "status")
             .annotate(n=Count("id"), oldest=Min("scheduled_for")))  # fmt: skip

    scrape()  # warm: imports, connection
    ours, base = timed(scrape, args.runs), timed(baseline, args.runs)
    for name, figures in (("project scrape", ours), ("baseline query", base)):
        print(f"{name:15} p50 {statistics.median(figures):8.1f} ms   max {max(figures):8.1f} ms")
    ratio = statistics.median(base) / statistics.median(ours)
    print(f"ratio baseline/project (p50): {ratio:.1f}x")
    print(f"target: a scrape under 200 ms -> {'met' if max(ours) < 200 else 'NOT met'}")


if __name__ == "__main__":
    main()
