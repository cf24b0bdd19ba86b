"""The baseline for bench/jobs.py: a bare Celery task with no database. It only notes
in Redis when it ran, so the benchmark can time the first and last of a run."""

from __future__ import annotations

import time

import redis
from celery import shared_task
from django.conf import settings

_redis = None


@shared_task(name="bench.raw_noop", ignore_result=True)
def raw_noop(run: str) -> None:
    global _redis
    if _redis is None:
        _redis = redis.Redis.from_url(settings.REDIS_URL)
    now = time.time()
    pipe = _redis.pipeline(transaction=False)
    pipe.incr(f"bench:{run}:count")
    pipe.set(f"bench:{run}:first", now, nx=True)
    pipe.set(f"bench:{run}:last", now)
    pipe.execute()
