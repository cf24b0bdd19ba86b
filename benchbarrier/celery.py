"""The Celery application shared by web, worker and beat.

Configuration comes from Django settings (`CELERY_*`); tasks are autodiscovered from
each installed app's `tasks.py`. Workers record a heartbeat (see `benchbarrier.workers`)
that `/readyz` reads.
"""

from __future__ import annotations

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchbarrier.settings")

app = Celery("benchbarrier")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _install_worker_steps() -> None:
    from benchbarrier.workers import HeartbeatStep

    app.steps["worker"].add(HeartbeatStep)


_install_worker_steps()


@signals.worker_init.connect
def _prune_metrics(**kwargs: object) -> None:
    """A worker starting removes the metric files of processes that are gone."""
    from benchbarrier.telemetry import prune_dead_processes

    prune_dead_processes()


@signals.worker_process_shutdown.connect
def _metrics_process_gone(pid: int | None = None, **kwargs: object) -> None:
    """A pool process exiting drops its live gauges (multiprocess mode)."""
    from django.conf import settings
    from prometheus_client import multiprocess

    if settings.PROMETHEUS_MULTIPROC_DIR:
        multiprocess.mark_process_dead(pid or os.getpid(), settings.PROMETHEUS_MULTIPROC_DIR)
