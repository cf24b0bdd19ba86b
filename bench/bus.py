"""Event bus latency: from an event stored to the workflow run it starts, on one machine.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
    REDIS_URL=redis://127.0.0.1:6379/3 .venv/bin/python -m bench.bus [--rate 1000] [--seconds 10]

Makes its own database (`<name>_bench_bus`), starts a real Celery worker (concurrency
2) and beat, and stores `cart.abandoned` events at `--rate` events/s for `--seconds`
(in calls of `--batch` events, as the site's batches arrive), with an event-triggered
workflow listening. Latency per event = the run's `started_at` minus the event's
`created_at` (both stamped by the server, so the client's clock plays no part): the
wake-up, the claim, loading the batch, both consumers (customer stats, triggers).

Baseline, same run, same worker and rate: no-op jobs enqueued the same way, latency =
`started_at` - `created_at`: what the queue itself costs. Prints p50/p95/p99 of both
and the ratio of the p95s. Not a test: figures vary.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime

from bench.common import ROOT, fresh_postgres


def percentiles(values: list[float]) -> tuple[float, float, float]:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


def paced(total: int, rate: int, batch: int, send: object) -> float:
    """Call `send(start, count)` for `total` items at `rate` items/s; returns the rate
    achieved."""
    interval = batch / rate
    began = time.perf_counter()
    for number, start in enumerate(range(0, total, batch)):
        due = began + number * interval
        pause = due - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        send(start, min(batch, total - start))
    return total / (time.perf_counter() - began)


def wait_for(check: object, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=1000, help="events per second")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--batch", type=int, default=10, help="events per call")
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL"):
        raise SystemExit("set REDIS_URL=redis://... first (the worker's broker)")
    fresh_postgres("bench_bus")

    from django.db import connection
    from django.db.models import F
    from django.utils import timezone

    from analytics.models import Event
    from analytics.services import record_events
    from benchbarrier.models import WorkerHeartbeat
    from benchbarrier.services.audit import Actor
    from jobs.models import Job
    from jobs.services import JobSpec, enqueue_many
    from workflows.models import WorkflowExecution
    from workflows.services import save_workflow

    save_workflow(
        actor=Actor.system("bench"), name="Cart", trigger_type="event",
        trigger_config={"event": "cart.abandoned"}, steps=[{"type": "wait", "duration": "1h"}],
    )  # fmt: skip
    env = {**os.environ, "LOG_LEVEL": "WARNING"}
    commands = [
        ["worker", "--concurrency=2"],
        ["beat", "--pidfile=", f"--schedule={ROOT / 'var' / 'bench-bus-beat'}"],
    ]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "benchbarrier", *cmd, "--loglevel=WARNING"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        for cmd in commands
    ]  # fmt: skip
    total = args.rate * args.seconds
    numbers = iter(range(10**9))

    def send_events(start: int, count: int) -> None:
        now = datetime.now(UTC).isoformat()
        record_events([
            {"eventName": "cart.abandoned", "userId": f"u{n}", "messageId": f"cart-{n}",
             "timestamp": now, "properties": {"cartId": f"c{n}", "total": 10}}
            for n in (next(numbers) for _ in range(count))
        ])  # fmt: skip

    def send_jobs(start: int, count: int) -> None:
        enqueue_many([JobSpec("jobs.noop") for _ in range(count)])

    def idle() -> bool:
        return not Job.objects.filter(status__in=["pending", "retrying", "processing"],
                                      scheduled_for__lte=timezone.now()).exists()  # fmt: skip

    try:
        # Warm up: the worker's pool is consuming (its heartbeat comes before that), its
        # connections are open, and the tables' statistics describe tables with rows in
        # them, as autovacuum keeps them on a running system.
        wait_for(lambda: WorkerHeartbeat.objects.alive().exists(), "the worker")
        paced(args.rate, args.rate, args.batch, send_events)
        wait_for(idle, "the warm-up to finish")
        with connection.cursor() as cursor:
            for table in ("job_queue", "workflow_executions", "analytics_events", "customers"):
                cursor.execute(f"VACUUM ANALYZE {table}")
        warm = set(WorkflowExecution.objects.values_list("pk", flat=True))
        first_noop = timezone.now()

        paced(total, args.rate, args.batch, send_jobs)
        wait_for(idle, "every no-op job")
        baseline = [
            d.total_seconds() * 1000
            for d in Job.objects.filter(job_type="jobs.noop", created_at__gte=first_noop)
            .annotate(d=F("started_at") - F("created_at"))
            .values_list("d", flat=True)
        ]

        achieved = paced(total, args.rate, args.batch, send_events)
        wait_for(lambda: WorkflowExecution.objects.count() >= total + len(warm), "every run")
        wait_for(idle, "every first step")
        created = dict(Event.objects.values_list("id", "created_at"))
        latencies = [
            (started - created[event]).total_seconds() * 1000
            for pk, event, started in WorkflowExecution.objects.values_list(
                "pk", "trigger_event_id", "started_at"
            )
            if pk not in warm
        ]
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(30)

    bus = percentiles(latencies)
    queue = percentiles(baseline)
    print(f"{total:,} cart.abandoned events at {achieved:,.0f}/s in calls of {args.batch}")
    print(f"event stored -> run created:   p50 {bus[0]:.1f} ms, p95 {bus[1]:.1f} ms, "
          f"p99 {bus[2]:.1f} ms (target p95 < 100 ms)")  # fmt: skip
    print(f"no-op job enqueued -> started: p50 {queue[0]:.1f} ms, p95 {queue[1]:.1f} ms, "
          f"p99 {queue[2]:.1f} ms (baseline)")  # fmt: skip
    print(f"ratio of the p95s bus / queue: {bus[1] / queue[1]:.2f}")


if __name__ == "__main__":
    main()
