"""The Celery application shared by web, worker and beat.

Configuration comes from Django settings (`CELERY_*`); tasks are autodiscovered from
each installed app's `tasks.py`. Workers record a heartbeat (see `benchbarrier.workers`)
that `/readyz` reads.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchbarrier.settings")

app = Celery("benchbarrier")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _install_worker_steps() -> None:
    from benchbarrier.workers import HeartbeatStep

    app.steps["worker"].add(HeartbeatStep)


_install_worker_steps()
