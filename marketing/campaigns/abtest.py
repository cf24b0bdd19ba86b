"""A/B tests: how each variant did, and which one wins, honestly.

The decision is Bayesian. For a rate (opens, clicks) each variant's true rate has a
Beta(1 + successes, 1 + failures) posterior. Revenue per recipient gets a normal
posterior around its mean, with its standard error. Drawing DRAWS samples from each (a
seeded generator, so a decision can be repeated) gives each variant's probability of
being the best and its lift over the control (A) with a 95% interval. A winner needs
at least AB_MIN_SAMPLE recipients per variant and a probability of at least
AB_WIN_PROBABILITY. The test is looked at once, at its deadline, so the threshold means
what it says. Without a winner the fallback applies (send the leader, or the control),
and the reason is recorded.

Opens fetched by mail privacy proxies (Apple MPP opens every message) count as opens
only while they are a minority; once they dominate, the open rate counts readers'
opens only. Clicks made within seconds of sending (link scanners) never count.
"""

from __future__ import annotations

import random
import re
import statistics
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, F, Q, Sum

from benchbarrier import clock
from marketing.campaigns.models import Campaign, CampaignSend, SendStatus, WinnerMetric

DRAWS = 20_000
# The shortest waits that give each metric time to show (what large senders measured).
MIN_WAIT_HOURS = {WinnerMetric.CLICK_RATE: 1, WinnerMetric.OPEN_RATE: 2, WinnerMetric.REVENUE: 12}


@dataclass
class VariantResult:
    name: str
    recipients: int = 0
    opens: int = 0
    proxy_opens: int = 0
    clicks: int = 0
    bot_clicks: int = 0
    conversions: int = 0
    revenue: float = 0.0
    revenue_squares: float = 0.0
    rate: float = 0.0
    win_probability: float = 0.0
    lift: dict[str, float] | None = None


def min_sample() -> int:
    return settings.AB_MIN_SAMPLE


def results(
    campaign: Campaign, *, step: int | None = None, sent_before: datetime | None = None
) -> list[VariantResult]:
    """Each variant's counts: one aggregate over the campaign's sent sends (of one
    sequence step, sent before a time, when given)."""
    sends = CampaignSend.objects.filter(campaign=campaign, status=SendStatus.SENT)
    if step is not None:
        sends = sends.filter(step=step)
    if sent_before is not None:
        sends = sends.filter(sent_at__lt=sent_before)
    rows = (
        sends.exclude(variant="")
        .values("variant")
        .annotate(
            recipients=Count("id"),
            opens=Count("id", filter=Q(delivery__opened_at__isnull=False)),
            proxy_opens=Count("id", filter=Q(delivery__proxy_open=True)),
            clicks=Count(
                "id", filter=Q(delivery__clicked_at__isnull=False, delivery__bot_click=False)
            ),
            bot_clicks=Count("id", filter=Q(delivery__bot_click=True)),
            conversions=Count("id", filter=Q(converted_at__isnull=False)),
            revenue_total=Sum("revenue"),
            revenue_squares=Sum(F("revenue") * F("revenue")),
        )
        .order_by("variant")
    )
    return [
        VariantResult(
            name=row["variant"],
            recipients=row["recipients"],
            opens=row["opens"],
            proxy_opens=row["proxy_opens"],
            clicks=row["clicks"],
            bot_clicks=row["bot_clicks"],
            conversions=row["conversions"],
            revenue=float(row["revenue_total"] or 0),
            revenue_squares=float(row["revenue_squares"] or 0),
        )
        for row in rows
    ]


def decide(
    campaign: Campaign,
    *,
    now: datetime,
    test: dict[str, Any] | None = None,
    step: int | None = None,
    sent_before: datetime | None = None,
) -> dict[str, Any]:
    """The test's outcome (a broadcast's, or a sequence step's `test`): a winner when
    the rule finds one, else the fallback; with every variant's figures, win
    probability and lift, and the reason."""
    test = test or campaign.ab_test
    metric = test.get("metric", WinnerMetric.CLICK_RATE)
    variants = results(campaign, step=step, sent_before=sent_before)
    names = [chr(ord("A") + i) for i in range(len(test.get("variants", [])))]
    found = {v.name: v for v in variants}
    variants = [found.get(name, VariantResult(name)) for name in names]
    proxy_heavy = _proxy_dominated(variants)
    samples = {v.name: _posterior(v, metric, proxy_heavy) for v in variants}
    best = [max(samples, key=lambda n: samples[n][i]) for i in range(DRAWS)]
    for v in variants:
        v.win_probability = best.count(v.name) / DRAWS
        v.rate = _observed(v, metric, proxy_heavy)
        v.lift = _lift(samples[v.name], samples[names[0]]) if v.name != names[0] else None
    minimum = settings.AB_MIN_SAMPLE
    threshold = settings.AB_WIN_PROBABILITY
    leader = max(variants, key=lambda v: v.win_probability)
    small = [v.name for v in variants if v.recipients < minimum]
    if small:
        reason = (
            f"variant(s) {', '.join(small)} had fewer than {minimum} recipients: too few to tell"
        )
    elif leader.win_probability < threshold:
        reason = (
            f"no variant reached a {threshold:.0%} chance of being best (the leader, "
            f"{leader.name}, has {leader.win_probability:.1%})"
        )
    else:
        reason = ""
    fallback = test.get("fallback", "leader")
    winner = leader.name if not reason else leader.name if fallback == "leader" else names[0]
    return {
        "metric": metric,
        "decidedAt": now.isoformat(),
        "winner": winner,
        "byRule": not reason,
        "reason": (
            f"{winner} wins: {leader.win_probability:.1%} chance of being best"
            if not reason
            else f"{reason}; the fallback sends {winner} ({fallback})"
        ),
        "proxyOpensExcluded": proxy_heavy and metric == WinnerMetric.OPEN_RATE,
        "minSample": minimum,
        "threshold": threshold,
        "variants": [_camel(asdict(v)) for v in variants],
    }


def live_variants(campaign: Campaign) -> list[dict[str, Any]]:
    """The variants' figures: as decided, or so far (with their chances so far)."""
    if campaign.decision.get("variants"):
        return campaign.decision["variants"]
    return decide(campaign, now=clock.now())["variants"]


def _camel(values: dict[str, Any]) -> dict[str, Any]:
    return {re.sub(r"_([a-z])", lambda m: m.group(1).upper(), k): v for k, v in values.items()}


def wait_of(test: dict[str, Any]) -> timedelta:
    """How long a test waits before it is judged: its own `waitHours`, else the shortest
    wait that gives its metric time to show."""
    metric = test.get("metric", WinnerMetric.CLICK_RATE)
    return timedelta(hours=float(test.get("waitHours") or MIN_WAIT_HOURS[metric]))


def deadline(campaign: Campaign, launched: datetime) -> datetime:
    return launched + wait_of(campaign.ab_test)


def _proxy_dominated(variants: list[VariantResult]) -> bool:
    opens = sum(v.opens for v in variants)
    return opens > 0 and sum(v.proxy_opens for v in variants) / opens > 0.5


def _observed(v: VariantResult, metric: str, proxy_heavy: bool) -> float:
    if not v.recipients:
        return 0.0
    if metric == WinnerMetric.REVENUE:
        return v.revenue / v.recipients
    return _successes(v, metric, proxy_heavy) / v.recipients


def _successes(v: VariantResult, metric: str, proxy_heavy: bool) -> int:
    if metric == WinnerMetric.OPEN_RATE:
        return v.opens - v.proxy_opens if proxy_heavy else v.opens
    return v.clicks


def _posterior(v: VariantResult, metric: str, proxy_heavy: bool) -> list[float]:
    draw = random.Random(f"ab:{v.name}:{v.recipients}")  # noqa: S311 (repeatable, not secret)
    if metric == WinnerMetric.REVENUE:
        n = max(v.recipients, 1)
        mean = v.revenue / n
        variance = max(v.revenue_squares / n - mean * mean, 0.0)
        error = (variance / n) ** 0.5 or 1e-9
        return [draw.gauss(mean, error) for _ in range(DRAWS)]
    wins = _successes(v, metric, proxy_heavy)
    losses = max(v.recipients - wins, 0)
    return [draw.betavariate(1 + wins, 1 + losses) for _ in range(DRAWS)]


def _lift(variant: list[float], control: list[float]) -> dict[str, float]:
    """The variant's relative lift over the control: median and 95% interval."""
    lifts = sorted((v / c - 1) if c else 0.0 for v, c in zip(variant, control, strict=True))
    pick = lambda q: lifts[min(len(lifts) - 1, int(q * len(lifts)))]  # noqa: E731
    return {"low": pick(0.025), "median": statistics.median(lifts), "high": pick(0.975)}
