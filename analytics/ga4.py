"""Google Analytics 4 pulled into the shop's figures: `analytics.sync` asks the Data API
(the official `google-analytics-data` client, `runReport`) for sessions, users, engaged
sessions and key events (conversions) by date, source / medium and campaign, a day at a
time, and keeps each day (replaced on every pull).

It reads the property's quota on every answer (`returnPropertyQuota`) and stops before
the sync would use more than its share (GA4_QUOTA_SHARE_PERCENT of GA4_TOKENS_PER_HOUR and
of GA4_TOKENS_PER_DAY), or when GA4 says the quota is spent, and names when to go on: the
next hour, or the next day on Google's clock (Pacific time). Days pulled before a stop are
kept, so going on pulls only the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Max
from google.analytics.data_v1beta import BetaAnalyticsDataClient
from google.analytics.data_v1beta.types import (
    DateRange,
    Dimension,
    Metric,
    PropertyQuota,
    RunReportRequest,
)
from google.api_core import exceptions as google_errors
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials

from analytics.models import Ga4Daily
from benchbarrier import clock

DIMENSIONS = ("date", "sessionSourceMedium", "sessionCampaignName")
METRICS = ("sessions", "totalUsers", "engagedSessions", "keyEvents")
PAGE = 10_000
SETTLING_DAYS = 2  # GA4 keeps adjusting the last two days: pulled again each time
GOOGLE_DAY = ZoneInfo("America/Los_Angeles")  # daily quotas reset at midnight there


class Ga4NotConfigured(Exception):
    pass


class Ga4Refused(Exception):
    """GA4 refused the request as it is (a wrong property, no access): retrying cannot help."""


@dataclass
class SyncResult:
    days: list[date] = field(default_factory=list)
    rows: int = 0
    resume_from: date | None = None  # the first day not pulled, when it stopped early
    resume_at: datetime | None = None
    reason: str = ""


def configured() -> bool:
    return bool(settings.GA4_PROPERTY_ID)


def client() -> BetaAnalyticsDataClient:
    """The Data API's client over REST; "anonymous" credentials only for a local fake."""
    if settings.GA4_CREDENTIALS_FILE == "anonymous":
        credentials = AnonymousCredentials()
    elif settings.GA4_CREDENTIALS_FILE:
        from google.oauth2 import service_account

        credentials = service_account.Credentials.from_service_account_file(
            settings.GA4_CREDENTIALS_FILE,
            scopes=["https://www.googleapis.com/auth/analytics.readonly"],
        )
    else:
        credentials = None  # application default credentials
    return BetaAnalyticsDataClient(
        credentials=credentials,
        transport="rest",
        client_options=ClientOptions(api_endpoint=settings.GA4_API_ENDPOINT),
    )


def default_range(today: date | None = None) -> tuple[date, date]:
    """From a little before the last day kept (GA4 settles its last days) to yesterday;
    the last 30 days the first time."""
    today = today or clock.now().date()
    last = Ga4Daily.objects.filter(property_id=settings.GA4_PROPERTY_ID).aggregate(
        last=Max("date")
    )["last"]
    start = last - timedelta(days=SETTLING_DAYS) if last else today - timedelta(days=30)
    return min(start, today - timedelta(days=1)), today - timedelta(days=1)


def sync(start: date, end: date) -> SyncResult:
    if not configured():
        raise Ga4NotConfigured("GA4 is not configured: set GA4_PROPERTY_ID")
    api, result = client(), SyncResult()
    day = start
    while day <= end:
        try:
            rows, quota = _pull_day(api, day)
        except google_errors.TooManyRequests as exc:  # (RESOURCE_EXHAUSTED)
            return _stop(result, day, _next_hour(), f"GA4 quota spent: {_said(exc)}")
        except (google_errors.Forbidden, google_errors.BadRequest, google_errors.NotFound,
                google_errors.Unauthorized) as exc:  # fmt: skip
            raise Ga4Refused(f"GA4 refused: {_said(exc)}") from None
        _store(day, rows)
        result.days.append(day)
        result.rows += len(rows)
        day += timedelta(days=1)
        spent = _over_share(quota)
        if spent and day <= end:
            resume_at = _next_hour() if spent == "hourly" else _next_google_day()
            return _stop(result, day, resume_at, f"the sync's share of GA4's {spent} tokens "
                         f"is used ({settings.GA4_QUOTA_SHARE_PERCENT}%)")  # fmt: skip
    return result


def _pull_day(api: BetaAnalyticsDataClient, day: date) -> tuple[list[tuple], PropertyQuota]:
    rows: list[tuple] = []
    offset, quota = 0, None
    while True:
        answer = api.run_report(RunReportRequest(
            property=f"properties/{settings.GA4_PROPERTY_ID}",
            date_ranges=[DateRange(start_date=day.isoformat(), end_date=day.isoformat())],
            dimensions=[Dimension(name=name) for name in DIMENSIONS],
            metrics=[Metric(name=name) for name in METRICS],
            limit=PAGE, offset=offset, return_property_quota=True,
        ))  # fmt: skip
        quota = answer.property_quota
        for row in answer.rows:
            _, source_medium, campaign = (v.value for v in row.dimension_values)
            sessions, users, engaged, key_events = (v.value for v in row.metric_values)
            rows.append((source_medium, campaign, int(sessions or 0), int(users or 0),
                         int(engaged or 0), Decimal(key_events or 0)))  # fmt: skip
        offset += len(answer.rows)
        if not answer.rows or offset >= answer.row_count:
            return rows, quota


def _store(day: date, rows: list[tuple]) -> None:
    """The day as GA4 now has it (rows of an earlier pull that GA4 no longer has: gone)."""
    from django.db import transaction

    now = clock.now()
    with transaction.atomic():
        Ga4Daily.objects.filter(property_id=settings.GA4_PROPERTY_ID, date=day).delete()
        Ga4Daily.objects.bulk_create([
            Ga4Daily(property_id=settings.GA4_PROPERTY_ID, date=day, source_medium=source[:255],
                     campaign=campaign[:255], sessions=sessions, users=users,
                     engaged_sessions=engaged, conversions=conversions, pulled_at=now)
            for source, campaign, sessions, users, engaged, conversions in rows
        ])  # fmt: skip


def _over_share(quota: PropertyQuota | None) -> str:
    """ "hourly" or "daily" when the next pull would dig into what the sync leaves to
    others, else ""."""
    if quota is None:
        return ""
    keep = (100 - settings.GA4_QUOTA_SHARE_PERCENT) / 100
    buckets = (("hourly", quota.tokens_per_hour, settings.GA4_TOKENS_PER_HOUR),
               ("daily", quota.tokens_per_day, settings.GA4_TOKENS_PER_DAY))  # fmt: skip
    for name, bucket, limit in buckets:
        if bucket.remaining - bucket.consumed < limit * keep:
            return name
    return ""


def _said(error: google_errors.GoogleAPICallError) -> str:
    """GA4's own words, without the "POST https://...: " the client puts first."""
    return re.sub(r"^[A-Z]+ \S+: ", "", str(error.message))


def _stop(result: SyncResult, day: date, resume_at: datetime, reason: str) -> SyncResult:
    result.resume_from, result.resume_at, result.reason = day, resume_at, reason
    return result


def _next_hour() -> datetime:
    now = clock.now()
    return now.replace(minute=1, second=0, microsecond=0) + timedelta(hours=1)


def _next_google_day() -> datetime:
    today = clock.now().astimezone(GOOGLE_DAY).date()
    return datetime.combine(today + timedelta(days=1), time(0, 5), tzinfo=GOOGLE_DAY)
