"""Event ingestion throughput, on one machine.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
    REDIS_URL=redis://127.0.0.1:6379/2 .venv/bin/python -m bench.ingest [--events 200000]

Makes its own database (`<name>_bench_events`), then measures the same kind of events
(a realistic mix over 5,000 users, 1,000 per batch) three ways:
- HTTP: `POST /api/analytics/events/batch` against gunicorn with 2 worker processes,
  from 4 client threads, bodies encoded before timing: validation, dedup, insert and
  the bus delivery job queued in the same transaction, as in production;
- delivery: those events handed to every bus consumer (customer stats, workflow
  triggers) by 2 worker processes draining the `bus.deliver` jobs: the rate at which
  workers keep up with ingestion;
- service: `analytics.services.record_events` in this process (same work, no HTTP);
- baseline: PostgreSQL `COPY` of the same rows into the same table (no validation, no
  dedup, no delivery job): the fastest way rows get in.
and prints events/s for each and their ratio to COPY. Not a test: figures vary.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import secrets
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import ROOT, fresh_postgres

BATCH = 1000
USERS = 5000
MIX = [("product.viewed", 60), ("cart.updated", 15), ("user.login", 15),
       ("checkout.started", 5), ("order.completed", 5)]  # fmt: skip


def make_events(count: int, run: str, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)  # noqa: S311
    names = [name for name, weight in MIX for _ in range(weight)]
    start = datetime.now(UTC) - timedelta(days=1)
    events = []
    for n in range(count):
        name = rng.choice(names)
        properties: dict[str, Any] = {"productId": f"sku-{rng.randint(1, 500)}"}
        if name == "order.completed":
            total = round(rng.uniform(10, 300), 2)
            items = [{"productId": "sku-1", "quantity": 1}]
            properties = {
                "orderId": f"{run}-{n}",
                "total": total,
                "currency": "EUR",
                "items": items,
            }
        events.append(
            {
                "eventName": name,
                "userId": f"user-{rng.randint(1, USERS)}",
                "sessionId": f"s-{rng.randint(1, USERS * 3)}",
                "messageId": f"{run}-{n}",
                "timestamp": (start + timedelta(milliseconds=n)).isoformat(),
                "properties": properties,
            }
        )
    return events


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def post_all(port: int, key: str, bodies: list[bytes], threads: int) -> float:
    queue = list(reversed(bodies))
    lock = threading.Lock()
    failures: list[str] = []

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Authorization": f"Api-Key {key}", "Content-Type": "application/json"}
        while True:
            with lock:
                if not queue:
                    return
                body = queue.pop()
            conn.request("POST", "/api/analytics/events/batch", body, headers)
            response = conn.getresponse()
            data = response.read()
            if response.status != 200 or json.loads(data)["accepted"] != BATCH:
                failures.append(f"{response.status} {data[:200]!r}")

    started = time.perf_counter()
    workers = [threading.Thread(target=client) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise SystemExit(f"{len(failures)} batches failed, e.g. {failures[0]}")
    return elapsed


def start_gunicorn(port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "API_THROTTLE_GLOBAL_RATE": "100000/min",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "benchbarrier.wsgi", "-w", "2", "-b",
         f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("gunicorn did not start")


def drain() -> None:
    import django

    django.setup()
    from jobs.runner import run_until_idle

    for _ in run_until_idle():
        pass


def deliver_all(processes: int) -> float:
    """Drain the queued bus deliveries with `processes` processes; returns the seconds
    from the first claim to the last completion."""
    from django.db.models import Max, Min

    from jobs.models import Job

    workers = [
        subprocess.Popen([sys.executable, "-m", "bench.ingest", "--drain"], cwd=ROOT)
        for _ in range(processes)
    ]
    for worker in workers:
        worker.wait()
    span = Job.objects.filter(job_type="bus.deliver").aggregate(
        a=Min("started_at"), b=Max("completed_at")
    )
    if Job.objects.filter(job_type="bus.deliver").exclude(status="completed").exists():
        raise SystemExit("some deliveries did not complete")
    return (span["b"] - span["a"]).total_seconds()


def copy_rows(events: list[dict[str, Any]]) -> float:
    from django.db import connection

    now = datetime.now(UTC)
    rows = [
        (e["eventName"], e["userId"], e["sessionId"], e["messageId"],
         json.dumps(e["properties"]), e["timestamp"], now)
        for e in events
    ]  # fmt: skip
    started = time.perf_counter()
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(
            "COPY analytics_events (event_name, user_id, session_id, message_id, properties, "
            "timestamp, created_at) FROM STDIN"
        ) as copy,
    ):
        for row in rows:
            copy.write_row(row)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000, help="events per method")
    parser.add_argument("--threads", type=int, default=4, help="HTTP client threads")
    parser.add_argument("--drain", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.drain:
        drain()
        return
    count = args.events - args.events % BATCH
    fresh_postgres("bench_events")

    from django.db import connection

    from analytics.services import record_events
    from benchbarrier.models import Scope
    from benchbarrier.services.api_keys import create_api_key
    from benchbarrier.services.audit import Actor
    from marketing.models import Customer

    print(f"{count:,} events per method, batches of {BATCH}, {USERS:,} users")
    http_events = make_events(count, "http", 1)
    bodies = [
        json.dumps({"events": http_events[i : i + BATCH]}).encode() for i in range(0, count, BATCH)
    ]
    key = create_api_key(
        name="bench", scopes=[Scope.ANALYTICS], throttle_rate="100000/min",
        actor=Actor.system("bench"),
    ).secret  # fmt: skip
    port = free_port()
    server = start_gunicorn(port)
    try:
        post_all(port, key, bodies[:4], args.threads)  # warm up both workers
        http_elapsed = post_all(port, key, bodies[4:], args.threads)
    finally:
        server.terminate()
        server.wait()
    http_rate = (count - 4 * BATCH) / http_elapsed
    delivery_rate = count / deliver_all(2)
    customers = Customer.objects.count()

    service_events = make_events(count, "svc", 2)
    started = time.perf_counter()
    for i in range(0, count, BATCH):
        result = record_events(service_events[i : i + BATCH])
        if len(result.stored) != BATCH:
            raise SystemExit("the service stored fewer events than it was given")
    service_rate = count / (time.perf_counter() - started)

    copy_rate = count / copy_rows(make_events(count, "copy", 3))
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM analytics_events")
        stored = cursor.fetchone()[0]
    print(f"stored {stored:,} events; {customers:,} customers kept up to date by the bus")
    print(f"HTTP batch endpoint (2 gunicorn workers): {http_rate:10,.0f} events/s")
    print(f"delivered to consumers (2 processes):     {delivery_rate:10,.0f} events/s")
    print(f"service record_events (in process):      {service_rate:10,.0f} events/s")
    print(f"PostgreSQL COPY baseline:                 {copy_rate:10,.0f} events/s")
    print(f"ratio HTTP / COPY:    {http_rate / copy_rate:.2f}")
    print(f"ratio service / COPY: {service_rate / copy_rate:.2f}")
    target = "meets" if http_rate >= 10_000 else "MISSES"
    print(f"target >= 10,000 events/s through HTTP: {target}")


if __name__ == "__main__":
    main()
