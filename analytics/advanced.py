"""The seed's advanced analytics: a conversion funnel (customers who did each step in
order, each within a window of their first step) and monthly cohort retention (customers
by the month of their first order, and the share ordering again N months later). Each
step's and each cohort's rows are grouped in SQL; the ordering within a customer's steps
is checked on the rows SQL returns."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Min
from django.db.models.functions import TruncMonth

from analytics.models import Event
from benchbarrier.metrics_registry import Period

DEFAULT_STEPS = ["product.viewed", "cart.updated", "checkout.started", "order.completed"]


@dataclass(frozen=True)
class FunnelStep:
    event: str
    customers: int
    from_previous: Decimal | None
    from_first: Decimal | None


def funnel(steps: list[str], period: Period, window: timedelta) -> list[FunnelStep]:
    """Customers whose first `steps[0]` falls in the period, and how many of them then
    did each later step, in order, within `window` of that first step."""
    first = dict(
        Event.objects.filter(event_name=steps[0], timestamp__gte=period.start,
                             timestamp__lt=period.end, user_id__isnull=False)
        .values("user_id").annotate(at=Min("timestamp")).values_list("user_id", "at")
    )  # fmt: skip
    reached: dict[str, datetime] = dict(first)
    counts = [len(reached)]
    for step in steps[1:]:
        later: dict[str, datetime] = {}
        rows = Event.objects.filter(
            event_name=step, user_id__in=list(reached), timestamp__gte=period.start,
            timestamp__lt=period.end + window,
        ).order_by("timestamp").values_list("user_id", "timestamp")  # fmt: skip
        for user, at in rows.iterator(chunk_size=5000):
            if user not in later and reached[user] <= at <= first[user] + window:
                later[user] = at
        reached = later
        counts.append(len(reached))
    return [
        FunnelStep(step, n, _share(n, counts[i - 1]) if i else None, _share(n, counts[0]))
        for i, (step, n) in enumerate(zip(steps, counts, strict=True))
    ]


def cohorts(period: Period, months: int = 12) -> list[dict[str, Any]]:
    """For each month in the period, the customers whose first order fell in it, and the
    share of them who ordered in each following month (month 0 is 1.0 by definition)."""
    orders = Event.objects.filter(event_name="order.completed", user_id__isnull=False)
    first = dict(orders.values("user_id").annotate(at=Min("timestamp"))
                 .values_list("user_id", "at"))  # fmt: skip
    active: dict[str, set[tuple[int, int]]] = defaultdict(set)
    for user, month in (
        orders.annotate(month=TruncMonth("timestamp")).values_list("user_id", "month").distinct()
    ):
        active[user].add((month.year, month.month))
    groups: dict[tuple[int, int], list[str]] = defaultdict(list)
    for user, at in first.items():
        if period.start <= at < period.end:
            groups[(at.year, at.month)].append(user)
    answer = []
    for (year, month), users in sorted(groups.items()):
        retention = []
        for k in range(months):
            target = (year + (month - 1 + k) // 12, (month - 1 + k) % 12 + 1)
            retention.append(_share(sum(1 for u in users if target in active[u]), len(users)))
        answer.append({"month": f"{year}-{month:02d}", "customers": len(users),
                       "retention": retention})  # fmt: skip
    return answer


def _share(part: int, whole: int) -> Decimal | None:
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001")) if whole else None
