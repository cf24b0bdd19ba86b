from __future__ import annotations

import socket

from celery import shared_task


@shared_task(name="benchbarrier.ping", ignore_result=False)
def ping() -> dict[str, str]:
    """Answers from a worker: proves broker → worker → result backend works end to end."""
    return {"pong": socket.gethostname()}
