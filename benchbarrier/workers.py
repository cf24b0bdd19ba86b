"""A Celery worker boot step that records the worker's heartbeat in the database.

The heartbeat runs on the worker's own timer (in the main process, whatever the pool),
so a stuck or dead worker stops beating and `/readyz` notices within
WORKER_HEARTBEAT_MAX_AGE seconds.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from celery import bootsteps
from django.conf import settings
from django.db import close_old_connections, connection

logger = logging.getLogger(__name__)


class HeartbeatStep(bootsteps.StartStopStep):
    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker: Any, **kwargs: Any) -> None:
        super().__init__(worker, **kwargs)
        self.tref = None

    def start(self, worker: Any) -> None:
        self._record(worker, starting=True)
        self.tref = worker.timer.call_repeatedly(
            settings.WORKER_HEARTBEAT_INTERVAL, self._record, (worker,), priority=10
        )

    def stop(self, worker: Any) -> None:
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None
        self._record(worker, stopped=True)

    def _record(self, worker: Any, starting: bool = False, stopped: bool = False) -> None:
        from benchbarrier.services.workers import record_worker_heartbeat, record_worker_stopped

        close_old_connections()
        try:
            if stopped:
                record_worker_stopped(hostname=worker.hostname)
            else:
                record_worker_heartbeat(
                    hostname=worker.hostname, pid=os.getpid(), starting=starting
                )
        except Exception:
            # A missed beat is survivable: the next one retries; readiness will report
            # the worker stale if the database stays unreachable.
            logger.exception("could not record the heartbeat of worker %s", worker.hostname)
        finally:
            # This runs on the timer thread; don't keep its connection open (and don't
            # let forked pool processes inherit it).
            connection.close()
