"""Job handlers used by the tests (and, via JOBS_HANDLER_MODULES, by the worker
processes the integration tests start). They record runs in plain tables so a test can
see from outside what a worker did."""

from __future__ import annotations

import time
from datetime import timedelta

from django.db import connection

from jobs.models import Job
from jobs.registry import PermanentJobError, job_handler

RUNS_TABLE = "test_job_runs"


def ensure_runs_table() -> None:
    """A table keyed by job id: a second run of the same job cannot insert again."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {RUNS_TABLE} ("
            "job_id varchar(36) PRIMARY KEY, seq bigint NOT NULL, worker varchar(255))"
        )
        cursor.execute(f"DELETE FROM {RUNS_TABLE}")  # noqa: S608


def runs() -> list[tuple[str, int]]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT job_id, seq FROM {RUNS_TABLE} ORDER BY seq")  # noqa: S608
        return cursor.fetchall()


@job_handler("test.record", max_attempts=1)
def record(job: Job) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {RUNS_TABLE} (job_id, seq, worker) VALUES (%s, %s, %s)",  # noqa: S608
            [str(job.id), time.monotonic_ns(), job.locked_by],
        )


@job_handler("test.long", max_attempts=3, timeout=timedelta(minutes=5))
def long(job: Job) -> dict:
    """A long first attempt (its lease runs for minutes): only a lost worker's heartbeat
    can bring it back quickly."""
    if job.attempts == 1:
        time.sleep(job.payload.get("seconds", 60))
    return {"attempt": job.attempts}


@job_handler("test.sleep", max_attempts=3, timeout=timedelta(seconds=3))
def sleep(job: Job) -> dict:
    """Sleeps `seconds` (only on the first attempt when `firstOnly`)."""
    if job.attempts == 1 or not job.payload.get("firstOnly"):
        time.sleep(job.payload.get("seconds", 1))
    return {"attempt": job.attempts}


@job_handler("test.flaky", max_attempts=3, retry_delay=timedelta(seconds=1))
def flaky(job: Job) -> dict:
    if job.attempts <= job.payload["failures"]:
        raise RuntimeError(f"planned failure {job.attempts}")
    return {"succeededOnAttempt": job.attempts}


@job_handler("test.broken", max_attempts=2, retry_delay=timedelta(seconds=1))
def broken(job: Job) -> None:
    raise ValueError("this handler always fails")


@job_handler("test.refuse", max_attempts=5)
def refuse(job: Job) -> None:
    raise PermanentJobError("the provider refused the request")


@job_handler(
    "test.greet",
    schema={
        "type": "object",
        "properties": {"email": {"type": "string"}, "count": {"type": "integer", "minimum": 1}},
        "required": ["email"],
        "additionalProperties": False,
    },
)
def greet(job: Job) -> dict:
    return {"greeted": job.payload["email"]}


BATCH_CALLS: list[list[int]] = []


@job_handler("test.batch", max_attempts=2, retry_delay=timedelta(seconds=1), batch=True)
def batch(jobs: list[Job]) -> dict[int, Exception]:
    """Records each call's job ids; payload {"fail": "retry" | "permanent"} fails that job."""
    BATCH_CALLS.append([job.id for job in jobs])
    failures: dict[int, Exception] = {}
    for job in jobs:
        outcome = job.payload.get("fail")
        if outcome == "retry":
            failures[job.id] = RuntimeError("planned failure")
        elif outcome == "permanent":
            failures[job.id] = PermanentJobError("refused")
        else:
            job.result = {"done": str(job.id)}
    return failures
