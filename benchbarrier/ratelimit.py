"""A token bucket every worker shares, kept in the database: `take("campaign:12", 500,
rate=1000)` either grants 500 messages now (0.0) or says how many seconds to wait.

One row per bucket, locked for the moment of a take (a chunk of messages, not one
message), so concurrent workers on any number of machines together stay under the
rate. A bucket holds at most one second's worth (`rate`) plus the chunk being taken,
so a pause does not let a burst through afterwards.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from benchbarrier import clock
from benchbarrier.models import RateBucket


def take(name: str, count: int, *, rate: float) -> float:
    """Take `count` tokens from bucket `name` refilled at `rate` per second: 0.0 when
    granted, else the seconds until they will be there (nothing is taken then)."""
    if rate <= 0:
        raise ValueError("rate must be above 0")
    now = clock.now()
    capacity = max(rate, count)
    with transaction.atomic():
        bucket = RateBucket.objects.select_for_update().filter(name=name).first()
        if bucket is None:
            try:
                with transaction.atomic():
                    bucket = RateBucket.objects.create(name=name, tokens=capacity, refilled_at=now)
            except IntegrityError:  # another worker made it first
                bucket = RateBucket.objects.select_for_update().get(name=name)
        elapsed = max((now - bucket.refilled_at).total_seconds(), 0.0)
        tokens = min(capacity, bucket.tokens + elapsed * rate)
        if tokens < count:
            RateBucket.objects.filter(pk=bucket.pk).update(tokens=tokens, refilled_at=now)
            return (count - tokens) / rate
        RateBucket.objects.filter(pk=bucket.pk).update(tokens=tokens - count, refilled_at=now)
    return 0.0
