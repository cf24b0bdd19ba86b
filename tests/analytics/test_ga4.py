"""`analytics.sync` from GA4: the real google-analytics-data client against a local fake of
the Data API, a day at a time, the quota read on every answer and the sync stopping before
its share is used (going on later from the first day not pulled), GA4's own refusals, and
website_visits reading GA4's sessions when they are there."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from analytics.models import Ga4Daily
from analytics.query import parse_period
from benchbarrier import clock
from benchbarrier.metrics_registry import get_metric
from jobs.models import Job, JobStatus
from jobs.services import enqueue
from tests.analytics.fake_ga4 import FakeGa4
from tests.analytics.test_metrics import event
from tests.conftest import run_due_jobs

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 6, 9, 30, tzinfo=UTC)


@pytest.fixture
def ga4(settings):
    fake = FakeGa4()
    settings.GA4_PROPERTY_ID = "123456"
    settings.GA4_CREDENTIALS_FILE = "anonymous"
    settings.GA4_API_ENDPOINT = fake.url
    settings.GA4_TOKENS_PER_HOUR, settings.GA4_TOKENS_PER_DAY = 40_000, 200_000
    settings.GA4_QUOTA_SHARE_PERCENT = 50
    fake.days = {
        "20261201": [("google / organic", "(not set)", 120, 100, 80, 3),
                     ("newsletter / email", "black-friday", 40, 38, 30, 5)],
        "20261202": [("google / organic", "(not set)", 90, 85, 60, 1)],
        "20261203": [("(direct) / (none)", "(not set)", 10, 10, 4, 0)],
    }  # fmt: skip
    clock.advance(NOW - clock.now())
    yield fake
    fake.close()


def sync(start: str, end: str) -> Job:
    job, _ = enqueue(job_type="analytics.sync",
                     payload={"platform": "ga4", "startDate": start, "endDate": end})  # fmt: skip
    run_due_jobs()
    job.refresh_from_db()
    return job


def test_the_seed_payload_pulls_each_day_with_the_official_client(ga4, key_client):
    answer = key_client("automation").post("/api/automation/jobs", {"jobType": "analytics.sync",
        "payload": {"platform": "ga4", "startDate": "2026-12-01", "endDate": "2026-12-02"}},
        format="json")  # fmt: skip
    assert answer.status_code == 201, answer.json()
    run_due_jobs()
    job = Job.objects.get(job_type="analytics.sync")
    assert job.status == JobStatus.COMPLETED and job.result == {"days": 2, "rows": 3}
    path = ga4.requests[0]["path"].split("?")[0]
    assert (job.max_attempts, path) == (5, "/v1beta/properties/123456:runReport")
    body = ga4.requests[0]["body"]
    assert body["returnPropertyQuota"] is True
    assert [d["name"] for d in body["dimensions"]] == ["date", "sessionSourceMedium",
                                                       "sessionCampaignName"]  # fmt: skip
    assert [m["name"] for m in body["metrics"]] == ["sessions", "totalUsers", "engagedSessions",
                                                    "keyEvents"]  # fmt: skip
    email = Ga4Daily.objects.get(source_medium="newsletter / email")
    assert (email.campaign, email.sessions, email.users, email.engaged_sessions,
            email.conversions) == ("black-friday", 40, 38, 30, Decimal(5))  # fmt: skip
    # GA4 settles its last days: a second pull replaces a day, it does not add to it
    ga4.days["20261202"] = [("google / organic", "(not set)", 95, 88, 61, 2)]
    sync("2026-12-02", "2026-12-02")
    assert list(Ga4Daily.objects.filter(date="2026-12-02").values_list("sessions", flat=True)) == [
        95
    ]


def test_the_sync_stops_before_its_share_of_the_quota_and_goes_on_later(ga4):
    ga4.cost = 300
    ga4.hour_left = 20_500  # after day 1: 20,200 left, and the next pull would leave < 20,000
    job = sync("2026-12-01", "2026-12-03")
    assert Ga4Daily.objects.filter(date="2026-12-01").count() == 2
    assert not Ga4Daily.objects.filter(date__gt="2026-12-01").exists()
    assert job.result["stopped"] == "the sync's share of GA4's hourly tokens is used (50%)"
    rest = Job.objects.get(pk=job.result["continuedBy"])
    assert rest.payload == {"platform": "ga4", "startDate": "2026-12-02", "endDate": "2026-12-03"}
    assert rest.scheduled_for == datetime(2026, 12, 6, 10, 1, tzinfo=UTC)  # the next hour
    assert len(ga4.requests) == 1
    run_due_jobs()
    assert len(ga4.requests) == 1, "nothing asked before the hour"
    ga4.hour_left = 40_000  # a new hour
    clock.advance(timedelta(minutes=32))
    run_due_jobs()
    rest.refresh_from_db()
    assert rest.status == JobStatus.COMPLETED and rest.result == {"days": 2, "rows": 2}
    assert Ga4Daily.objects.count() == 4


def test_the_daily_share_waits_for_googles_next_day(ga4):
    ga4.cost, ga4.day_left = 10, 100_005
    job = sync("2026-12-01", "2026-12-02")
    rest = Job.objects.get(pk=job.result["continuedBy"])
    # midnight in California (where GA4's day turns), five minutes after
    assert rest.scheduled_for == datetime(2026, 12, 7, 8, 5, tzinfo=UTC)


def test_a_spent_quota_waits_for_the_next_hour_and_a_refusal_fails_at_once(ga4):
    ga4.mode = "429"
    job = sync("2026-12-01", "2026-12-01")
    assert job.status == JobStatus.COMPLETED and job.result["stopped"].startswith(
        "GA4 quota spent"
    )
    assert Job.objects.get(pk=job.result["continuedBy"]).payload["startDate"] == "2026-12-01"
    ga4.mode = "403"
    refused = sync("2026-11-30", "2026-11-30")
    assert refused.status == JobStatus.FAILED and refused.attempts == 1
    assert "GA4 refused: User does not have sufficient permissions" in refused.error_message


def test_without_dates_it_pulls_from_the_last_settling_days_to_yesterday(ga4):
    Ga4Daily.objects.create(property_id="123456", date="2026-12-01", source_medium="x",
                            campaign="y", sessions=1)  # fmt: skip
    job, _ = enqueue(job_type="analytics.sync", payload={"platform": "ga4"})
    run_due_jobs()
    job.refresh_from_db()
    days = sorted({r["body"]["dateRanges"][0]["startDate"] for r in ga4.requests})
    assert days[0] == "2026-11-29" and days[-1] == "2026-12-05" and job.result["days"] == 7


def test_website_visits_are_ga4_sessions_when_pulled_else_the_sites_own(ga4, settings):
    from analytics.services import record_events

    record_events([event("page.viewed", "2026-12-01", "u1", "s1"),
                   event("page.viewed", "2026-12-02", "u2", "s2")])  # fmt: skip
    visits = get_metric("website_visits")
    both_days = parse_period(None, "2026-12-01", "2026-12-02")
    assert visits.compute(both_days) == 2  # not pulled yet: the site's own sessions
    sync("2026-12-01", "2026-12-02")
    assert visits.compute(both_days) == 120 + 40 + 90
    assert visits.compute(parse_period(None, "2026-12-01", "2026-12-04")) == 2, "a day missing"
    settings.GA4_PROPERTY_ID = ""
    assert visits.compute(both_days) == 2


def test_a_bad_range_or_no_property_fails_the_job_saying_why(ga4, settings):
    assert "endDate: on or after startDate" in sync("2026-12-02", "2026-12-01").error_message
    settings.GA4_PROPERTY_ID = ""
    assert "set GA4_PROPERTY_ID" in sync("2026-12-01", "2026-12-01").error_message


def test_beat_queues_one_pull_a_day_and_none_without_ga4(ga4, settings):
    from analytics.tasks import sync_ga4

    first, again = sync_ga4(), sync_ga4()
    assert first == again and Job.objects.filter(job_type="analytics.sync").count() == 1
    settings.GA4_PROPERTY_ID = ""
    assert sync_ga4() == "GA4 is not configured"


def test_a_pull_run_twice_replaces_its_days_instead_of_adding(ga4):
    from tests.at_least_once import run_twice

    enqueue(job_type="analytics.sync",
            payload={"platform": "ga4", "startDate": "2026-12-01", "endDate": "2026-12-02"})  # fmt: skip

    run_twice("analytics.sync")

    assert sorted(Ga4Daily.objects.values_list("source_medium", "sessions")) == [
        ("google / organic", 90), ("google / organic", 120), ("newsletter / email", 40)]  # fmt: skip
