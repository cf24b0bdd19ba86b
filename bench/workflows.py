"""Workflow engine throughput, on one machine.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
    .venv/bin/python -m bench.workflows [--events 10000] [--runs 2000] [--processes 2]

Makes its own database (`<name>_bench_workflows`) and measures:
- trigger: `--events` cart.abandoned events stored in one call of the ingestion service
  (which queues their bus deliveries), then delivered by `--processes` worker
  processes: the time from the call to the last execution created with its first step
  queued (deliveries go first: they have a higher priority than the steps);
- steps/s: `--runs` executions of a 5-step workflow with no side effects (the engine
  alone: claim, load, run, log, save, queue the next step), drained by `--processes`
  worker processes; then as many no-op jobs through the same queue with the same
  processes. Prints both rates and their ratio. Not a test: figures vary.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import UTC, datetime

from bench.common import ROOT, fresh_postgres

STEPS = 5


def drain() -> None:
    import django

    django.setup()
    from jobs import runner

    idle = 0
    while idle < 3:
        if runner.drain(worker=f"bench-{os.getpid()}"):
            idle = 0
        else:
            idle += 1
            time.sleep(0.05)


def run_workers(processes: int) -> None:
    """Drain the queue with `processes` processes, starting from fresh table statistics
    (what autovacuum would give a long-running system) so both phases plan alike."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("job_queue", "workflow_executions", "workflow_step_logs"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    workers = [
        subprocess.Popen([sys.executable, "-m", "bench.workflows", "--drain"], cwd=ROOT)
        for _ in range(processes)
    ]
    for worker in workers:
        worker.wait()


def window(job_type: str) -> float:
    """Seconds from the first claim to the last completion of the jobs of `job_type`."""
    from django.db.models import Max, Min

    from jobs.models import Job

    span = Job.objects.filter(job_type=job_type).aggregate(
        a=Min("started_at"), b=Max("completed_at")
    )
    return (span["b"] - span["a"]).total_seconds()


def steps_window(flow: object) -> float:
    """Seconds from the first step logged to the last (a run's job is requeued from
    step to step, so job timestamps only show its last step)."""
    from django.db.models import Max, Min

    from workflows.models import WorkflowStepLog

    span = WorkflowStepLog.objects.filter(execution__workflow=flow).aggregate(
        a=Min("created_at"), b=Max("created_at")
    )
    return (span["b"] - span["a"]).total_seconds()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=2_000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--drain", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ["JOBS_HANDLER_MODULES"] = "bench.workflow_steps"
    if args.drain:
        drain()
        return
    fresh_postgres("bench_workflows")

    from analytics.services import record_events
    from bench import workflow_steps  # noqa: F401
    from benchbarrier.services.audit import Actor
    from jobs.models import Job
    from jobs.services import JobSpec, enqueue_many
    from workflows.models import WorkflowExecution, WorkflowStepLog
    from workflows.services import Start, save_workflow, start_executions

    actor = Actor.system("bench")
    save_workflow(
        actor=actor,
        name="Cart",
        trigger_type="event",
        trigger_config={"event": "cart.abandoned"},
        steps=[{"type": "wait", "duration": "1h"}],
    )
    now = datetime.now(UTC).isoformat()
    events: list[dict[str, object]] = [
        {
            "eventName": "cart.abandoned",
            "userId": f"u{n}",
            "messageId": f"cart-{n}",
            "timestamp": now,
            "properties": {"cartId": f"c{n}", "total": 10},
        }
        for n in range(args.events)
    ]
    started = datetime.now(UTC)
    record_events(events)
    run_workers(args.processes)
    last = WorkflowExecution.objects.order_by("-started_at").values_list("started_at", flat=True)
    trigger_seconds = (last.first() - started).total_seconds()
    runs = WorkflowExecution.objects.count()
    first_steps = Job.objects.filter(job_type="workflow.advance").count()
    print(
        f"trigger: {args.events:,} cart.abandoned events -> {runs:,} executions and "
        f"{first_steps:,} first steps queued in {trigger_seconds:.2f} s (target < 5 s)"
    )
    Job.objects.all().delete()

    flow = save_workflow(
        actor=actor,
        name="Passes",
        trigger_type="webhook",
        trigger_config={},
        steps=[{"type": "bench.pass"} for _ in range(STEPS)],
    )
    start_executions(flow, [Start(f"r{n}", {}) for n in range(args.runs)])
    run_workers(args.processes)
    done = WorkflowExecution.objects.filter(workflow=flow, status="completed").count()
    steps = WorkflowStepLog.objects.filter(execution__workflow=flow, status="completed").count()
    step_rate = steps / steps_window(flow)

    enqueue_many([JobSpec("jobs.noop", {}) for _ in range(steps)])
    run_workers(args.processes)
    noop_rate = Job.objects.filter(job_type="jobs.noop", status="completed").count() / window(
        "jobs.noop"
    )
    print(
        f"steps: {done:,} runs x {STEPS} steps with {args.processes} processes: "
        f"{step_rate:,.0f} steps/s"
    )
    print(f"no-op jobs, same queue and processes: {noop_rate:,.0f} jobs/s")
    ratio = step_rate / noop_rate
    verdict = "meets" if ratio >= 0.5 else "MISSES"
    print(f"ratio steps / no-op jobs: {ratio:.2f} (target >= 0.5: {verdict})")


if __name__ == "__main__":
    main()
