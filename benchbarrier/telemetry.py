"""The Prometheus series of the whole back office, in one place so every name and label is
seen together (the seed's "Key Metrics to Track", plus HTTP). Apps count through the
helpers below; values that live in the database (queue depth, the oldest due job's age,
the email delivery rate) are gauges apps register and `/metrics` computes, one cheap
query each, cached for METRICS_CACHE_SECONDS.

Labels take only bounded values: job types, workflow names, models, operations, statuses,
channels, routes (the URL pattern, never the raw path). No customer or job ids.

With PROMETHEUS_MULTIPROC_DIR set (gunicorn's and Celery's worker processes on one
machine), each process writes its values there and `/metrics` adds them up; files of
processes that are gone are removed when a service starts (`prune_dead_processes`) and
live gauges of a process that exits are dropped (`mark_process_dead`), so series stay
bounded.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric

SECONDS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)

JOB_SECONDS = Histogram("bb_job_duration_seconds", "Time a job's handler took.",
                        ["job_type"], buckets=SECONDS)  # fmt: skip
JOBS = Counter("bb_jobs", "Jobs finished, by outcome (succeeded, retried, failed).",
               ["job_type", "outcome"])  # fmt: skip
WORKFLOW_RUNS = Counter("bb_workflow_runs", "Workflow runs ended, by outcome.",
                        ["workflow", "outcome"])  # fmt: skip
AI_TOKENS = Counter("bb_ai_tokens", "AI tokens used.", ["model", "operation", "kind"])
AI_COST = Counter("bb_ai_cost_usd", "AI cost in USD.", ["model", "operation"])
EMAILS = Counter("bb_email_deliveries", "Email deliveries reaching a status.", ["status"])
CAMPAIGN_EVENTS = Counter("bb_campaign_events", "Campaign sends, opens, clicks, conversions.",
                          ["channel", "event"])  # fmt: skip
BOT = Counter("bb_bot_conversations", "Bot conversations started, resolved, handed over.",
              ["channel", "event"])  # fmt: skip
HTTP_REQUESTS = Counter("bb_http_requests", "HTTP requests answered.",
                        ["method", "route", "status"])  # fmt: skip
HTTP_SECONDS = Histogram("bb_http_request_duration_seconds", "Time to answer a request.",
                         ["method", "route"], buckets=SECONDS)  # fmt: skip


def count_job(job_type: str, outcome: str, seconds: float | None = None) -> None:
    JOBS.labels(job_type, outcome).inc()
    if seconds is not None:
        JOB_SECONDS.labels(job_type).observe(seconds)


def count_ai_use(model: str, operation: str, input_tokens: int, output_tokens: int,
                 cost: object) -> None:  # fmt: skip
    AI_TOKENS.labels(model, operation, "input").inc(input_tokens)
    AI_TOKENS.labels(model, operation, "output").inc(output_tokens)
    if cost is not None:
        AI_COST.labels(model, operation).inc(float(cost))  # type: ignore[arg-type]


def count_campaign(channel: str, event: str, amount: int = 1) -> None:
    if amount:
        CAMPAIGN_EVENTS.labels(channel, event).inc(amount)


# --- Values that live in the database ----------------------------------------------------


@dataclass(frozen=True)
class Gauge:
    name: str
    documentation: str
    labels: tuple[str, ...]
    samples: list[tuple[tuple[str, ...], float]]  # (label values, value)


GaugeReader = Callable[[], list[Gauge]]  # one cheap query for one or more gauges
_readers: list[GaugeReader] = []
_cache: dict[str, object] = {}
_lock = threading.Lock()


def register_gauges(read: GaugeReader) -> GaugeReader:
    if read not in _readers:
        _readers.append(read)
    return read


class DatabaseCollector:
    """The registered database gauges, read at most every METRICS_CACHE_SECONDS."""

    def collect(self) -> Iterable[GaugeMetricFamily]:
        with _lock:
            if time.monotonic() - float(_cache.get("at", -1e9)) > settings.METRICS_CACHE_SECONDS:
                _cache["families"] = [_family(g) for read in _readers for g in read()]
                _cache["at"] = time.monotonic()
            return list(_cache["families"])  # type: ignore[call-overload]


def _family(gauge: Gauge) -> GaugeMetricFamily:
    family = GaugeMetricFamily(gauge.name, gauge.documentation, labels=list(gauge.labels))
    for labels, value in gauge.samples:
        family.add_metric(list(labels), float(value))
    return family


DECLARED = (JOB_SECONDS, JOBS, WORKFLOW_RUNS, AI_TOKENS, AI_COST, EMAILS, CAMPAIGN_EVENTS,
            BOT, HTTP_REQUESTS, HTTP_SECONDS)  # fmt: skip


class AllProcesses:
    """The values every process wrote to PROMETHEUS_MULTIPROC_DIR, and every declared
    series none has written yet (documented, without samples), so a scraper always sees
    the whole set."""

    def __init__(self, path: str) -> None:
        self.path = path

    def collect(self) -> Iterable[Metric]:
        found = list(multiprocess.MultiProcessCollector(None, path=self.path).collect())
        seen = {family.name for family in found}
        for declared in DECLARED:
            for family in declared.collect():
                if family.name not in seen:
                    family.samples = []
                    found.append(family)
        return found


def exposition() -> bytes:
    """Every series in the Prometheus text format: this process's (or, in multiprocess
    mode, all processes') and the database gauges."""
    registry = CollectorRegistry()
    path = settings.PROMETHEUS_MULTIPROC_DIR
    registry.register(AllProcesses(path) if path else _ThisProcess())
    registry.register(DatabaseCollector())
    return generate_latest(registry)


class _ThisProcess:
    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


def prune_dead_processes(path: str | None = None) -> int:
    """Remove the value files of processes that no longer run; returns how many."""
    path = path or settings.PROMETHEUS_MULTIPROC_DIR
    if not path or not Path(path).is_dir():
        return 0
    removed = 0
    for file in Path(path).glob("*.db"):
        pid = file.stem.rsplit("_", 1)[-1]
        if pid.isdigit() and not _alive(int(pid)):
            if file.name.startswith("gauge_live"):
                multiprocess.mark_process_dead(int(pid), path)
            file.unlink(missing_ok=True)
            removed += 1
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
