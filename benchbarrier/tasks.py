from __future__ import annotations

import socket
from datetime import timedelta

from celery import shared_task
from django.conf import settings

from benchbarrier.events import prune_deliveries


@shared_task(name="benchbarrier.ping", ignore_result=False)
def ping() -> dict[str, str]:
    """Answers from a worker: proves broker → worker → result backend works end to end."""
    return {"pong": socket.gethostname()}


@shared_task(name="benchbarrier.prune_bus_deliveries", ignore_result=True)
def prune_bus_deliveries() -> int:
    """Forget which batches each consumer took, once no delivery of them can return."""
    return prune_deliveries(older_than=timedelta(days=settings.BUS_DELIVERY_KEEP_DAYS))
