"""gunicorn's settings for the web process (`gunicorn -c python:benchbarrier.gunicorn_conf
benchbarrier.wsgi`): with PROMETHEUS_MULTIPROC_DIR set, the metric files of processes
that are gone are removed at start and a worker that exits drops its live gauges, so the
series /metrics serves stay bounded. Any other gunicorn option still comes from the
command line or GUNICORN_CMD_ARGS."""

from __future__ import annotations

import os
from typing import Any


def on_starting(server: Any) -> None:
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path:
        os.makedirs(path, exist_ok=True)
        from benchbarrier.telemetry import prune_dead_processes

        prune_dead_processes(path)


def child_exit(server: Any, worker: Any) -> None:
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid, path)
