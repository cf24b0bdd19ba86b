"""Benchmark of the durable job queue against raw Celery, on one machine.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
    REDIS_URL=redis://127.0.0.1:6379/2 .venv/bin/python -m bench.jobs [--jobs 20000]

It makes its own database (`<name>_bench` on the same server), starts its own worker
processes (the same count and concurrency for both sides), and prints:
- no-op jobs/s end to end through the durable queue (claim, run, complete in PostgreSQL);
- raw Celery no-op tasks/s (a bare task, no database) with the same worker settings;
- their ratio; single and bulk enqueue rates; p50/p95 enqueue-to-start latency at half
  the measured throughput.
Both throughput runs load the whole backlog first, then start the workers, and time the
first to the last completion. Not a test: figures vary with the machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]


def bench_database_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    name = (parts.path.lstrip("/") or "postgres") + "_bench"
    return urlunsplit(parts._replace(path=f"/{name}")), name


def recreate_database(url: str, name: str) -> None:
    import psycopg

    admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def start_workers(count: int, concurrency: int, env: dict[str, str], log_dir: Path) -> list:
    procs = []
    for n in range(count):
        log = (log_dir / f"worker{n}.log").open("w")
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "benchbarrier",
                    "worker",
                    "-n",
                    f"bench{n}-{uuid.uuid4().hex[:6]}@%h",
                    f"--concurrency={concurrency}",
                    "--loglevel=WARNING",
                    "-I",
                    "bench.raw_celery",
                    "--without-gossip",
                    "--without-mingle",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    return procs


def stop(procs: list) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()


def wait_for(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.02)
    raise SystemExit(f"timed out waiting for {what}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=20000, help="jobs/tasks per run")
    parser.add_argument("--workers", type=int, default=1, help="worker processes")
    parser.add_argument("--concurrency", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()

    source = os.environ.get("DATABASE_URL", "")
    if not source.startswith("postgres") or not os.environ.get("REDIS_URL"):
        raise SystemExit("set DATABASE_URL=postgres://... and REDIS_URL=redis://... first")
    url, name = bench_database_url(source)
    print(
        f"database {name}, broker {os.environ['REDIS_URL']}, {args.workers} worker(s) x "
        f"concurrency {args.concurrency}, {args.jobs} jobs per run"
    )
    recreate_database(url, name)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchbarrier.settings")
    log_dir = Path(tempfile.mkdtemp(prefix="bench-jobs-"))
    os.environ["DATA_DIR"] = str(log_dir)
    env = {**os.environ, "LOG_LEVEL": "WARNING"}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)

    import django

    django.setup()
    import redis
    from django.db import connection
    from django.db.models import Max, Min

    from bench.raw_celery import raw_noop
    from benchbarrier.celery import app
    from jobs.models import Job
    from jobs.services import JobSpec, enqueue, enqueue_many

    r = redis.Redis.from_url(os.environ["REDIS_URL"])
    r.flushdb()

    # --- enqueue rates (no workers running) --------------------------------------------
    single_n = 2000
    started = time.perf_counter()
    for _ in range(single_n):
        enqueue(job_type="jobs.noop")
    single_rate = single_n / (time.perf_counter() - started)
    bulk_n = 10000
    started = time.perf_counter()
    enqueue_many([JobSpec("jobs.noop") for _ in range(bulk_n)])
    bulk_rate = bulk_n / (time.perf_counter() - started)
    Job.objects.all().delete()
    r.flushdb()
    print(f"enqueue: single {single_rate:,.0f} jobs/s, bulk {bulk_rate:,.0f} jobs/s")

    # --- raw Celery baseline ---------------------------------------------------------
    run = uuid.uuid4().hex[:8]
    for _ in range(args.jobs):
        raw_noop.apply_async((run,))
    workers = start_workers(args.workers, args.concurrency, env, log_dir)
    wait_for(lambda: int(r.get(f"bench:{run}:count") or 0) >= args.jobs, 600, "raw Celery")
    first, last = float(r.get(f"bench:{run}:first")), float(r.get(f"bench:{run}:last"))
    raw_rate = (args.jobs - 1) / (last - first)
    stop(workers)
    r.flushdb()
    print(f"raw Celery + Redis: {raw_rate:,.0f} tasks/s")

    # --- durable queue ------------------------------------------------------------------
    for start in range(0, args.jobs, 1000):
        enqueue_many([JobSpec("jobs.noop") for _ in range(min(1000, args.jobs - start))])
    workers = start_workers(args.workers, args.concurrency, env, log_dir)
    wait_for(
        lambda: not Job.objects.exclude(status="completed").exists(), 600, "the durable queue"
    )
    span = Job.objects.aggregate(first=Min("started_at"), last=Max("completed_at"))
    durable_rate = (args.jobs - 1) / (span["last"] - span["first"]).total_seconds()
    print(f"durable queue: {durable_rate:,.0f} jobs/s")
    print(f"ratio durable / raw Celery: {durable_rate / raw_rate:.2f} (target >= 1.0)")

    # --- latency at half load ---------------------------------------------------------------
    Job.objects.all().delete()
    rate = min(durable_rate, single_rate) / 2
    count = int(rate * 5)
    interval = 1 / rate
    next_at = time.perf_counter()
    for _ in range(count):
        enqueue(job_type="jobs.noop")
        next_at += interval
        pause = next_at - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
    wait_for(lambda: not Job.objects.exclude(status="completed").exists(), 120, "latency run")
    waits = sorted(
        (started - created).total_seconds() * 1000
        for created, started in Job.objects.values_list("created_at", "started_at")
    )
    p50 = statistics.median(waits)
    p95 = waits[int(len(waits) * 0.95) - 1]
    print(f"latency at {rate:,.0f} jobs/s ({count} jobs): p50 {p50:.1f} ms, p95 {p95:.1f} ms "
          "(target p95 < 50 ms)")  # fmt: skip
    stop(workers)
    connection.close()
    app.close()


if __name__ == "__main__":
    main()
