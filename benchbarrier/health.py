"""Liveness and readiness checks for load balancers and orchestrators.

Readiness means this web process can do useful work: the database answers, the broker
accepts connections, and at least one worker has sent a heartbeat recently.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection

from benchbarrier.models import WorkerHeartbeat

Check = Callable[[], dict[str, Any]]


def check_database() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True}


def check_broker() -> dict[str, Any]:
    from benchbarrier.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0.2, timeout=2)
        transport = conn.transport_cls
    return {"ok": True, "transport": str(transport)}


def check_workers() -> dict[str, Any]:
    alive = list(WorkerHeartbeat.objects.alive().values_list("hostname", flat=True))
    if not alive:
        return {
            "ok": False,
            "message": (
                f"no worker heartbeat in the last {settings.WORKER_HEARTBEAT_MAX_AGE}s: "
                "start one with `celery -A benchbarrier worker`"
            ),
            "workers": [],
        }
    return {"ok": True, "workers": alive}


def check_alert_evaluations() -> dict[str, Any]:
    """Whether beat still has the alert rules evaluated (shown, not required: a web
    process serves without beat, but nobody would be told of anything)."""
    from benchbarrier.services.alerts import evaluations_stalled, last_evaluation

    last = last_evaluation()
    if evaluations_stalled():
        return {"ok": False, "required": False, "lastEvaluation": last.isoformat(),
                "message": "no alert evaluation for 5 minutes: is beat running?"}  # fmt: skip
    return {"ok": True, "required": False,
            "lastEvaluation": last.isoformat() if last else None}  # fmt: skip


READINESS_CHECKS: dict[str, Check] = {
    "database": check_database,
    "broker": check_broker,
    "workers": check_workers,
    "alerts": check_alert_evaluations,
}


def readiness() -> tuple[bool, dict[str, Any]]:
    """Run every readiness check; a check that raises counts as failed with its error.
    Ready when every required check passed."""
    results: dict[str, Any] = {}
    for name, check in READINESS_CHECKS.items():
        started = time.perf_counter()
        try:
            result = check()
        except Exception as exc:
            result = {"ok": False, "message": f"{type(exc).__name__}: {exc}"}
        result["ms"] = round((time.perf_counter() - started) * 1000, 1)
        results[name] = result
    return all(r["ok"] or not r.get("required", True) for r in results.values()), results
