"""Job handlers owned by the queue itself, and the kernel's periodic work run as jobs (so
that runs never overlap and a missed one shows in the queue): the evaluation of the alert
rules, and the pruning of personal data past its retention."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from benchbarrier import clock, personal_data
from benchbarrier.services.alerts import evaluate_all
from benchbarrier.services.audit import Actor, record_audit
from jobs.models import Job
from jobs.registry import job_handler


@job_handler("jobs.noop")  # the default attempts: a crash mid-run runs it again
def noop(job: Job) -> None:
    """Does nothing: for checking the queue end to end and for the benchmark."""


@job_handler("alerts.evaluate", max_attempts=1, timeout=timedelta(seconds=50),
             schema={"type": "object", "additionalProperties": False})  # fmt: skip
def evaluate_alerts(job: Job) -> dict[str, Any]:
    """Every alert rule once (beat queues one a minute; two never overlap). Not retried:
    the next minute's evaluation is the retry."""
    outcome = evaluate_all()
    return {"evaluated": outcome.evaluated, "fired": outcome.fired,
            "resolved": outcome.resolved, "notifications": outcome.notifications,
            "skipped": outcome.skipped}  # fmt: skip


@job_handler("privacy.prune", timeout=timedelta(minutes=30),
             schema={"type": "object", "additionalProperties": False})  # fmt: skip
def prune_personal_data(job: Job) -> dict[str, int]:
    """Rows past their retention (EVENT_, MESSAGE_, CHAT_RETENTION_DAYS) pruned or
    anonymised by each app's rules, a chunk per transaction. Run twice, the second finds
    nothing left to do."""
    pruned = personal_data.prune_expired(clock.now())
    record_audit(action="privacy.pruned", actor=Actor.system("privacy.prune"), changes=pruned)
    return pruned
