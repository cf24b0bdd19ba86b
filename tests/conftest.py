"""Shared fixtures, and the rule for integration tests.

Tests marked `postgres`, `redis` or `celery` need real servers. Without them they skip
with a reason; with REQUIRE_INTEGRATION=1 (set by .ci/run) a missing server fails the
test instead, so CI can never pass by skipping them.
"""

from __future__ import annotations

import copy
import os
import uuid
from collections.abc import Callable, Iterator
from functools import cache
from importlib import import_module

import pytest
from django.conf import settings as django_settings
from django.test import Client
from rest_framework.test import APIClient

from benchbarrier import clock
from benchbarrier.services.api_keys import IssuedKey, create_api_key
from benchbarrier.services.audit import Actor
from tests.processes import CeleryProcesses

REQUIRE_INTEGRATION = os.environ.get("REQUIRE_INTEGRATION") == "1"
TEST_HANDLERS = "tests.jobs.handlers"


def pytest_configure(config: pytest.Config) -> None:
    # Job handlers for tests: registered here, and in worker processes through
    # JOBS_HANDLER_MODULES (see tests/processes.py).
    import_module(TEST_HANDLERS)


@cache
def postgres_missing() -> str | None:
    engine = django_settings.DATABASES["default"]["ENGINE"]
    if "postgresql" not in engine:
        return f"needs PostgreSQL: DATABASE_URL points at {engine.rsplit('.', 1)[-1]}"
    return None


@cache
def redis_missing() -> str | None:
    url = django_settings.REDIS_URL
    if not url:
        return "needs Redis: REDIS_URL is not set"
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        return f"needs Redis: {url} does not answer ({exc})"
    return None


@cache
def browser_missing() -> str | None:
    from tests.browser.driver import CHROMEDRIVER, CHROMIUM

    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)]
    if missing:
        return (f"needs Chromium and its driver ({', '.join(missing)} missing): "
                "apt-get install -y chromium chromium-driver")  # fmt: skip
    return None


def _requirement_problems(item: pytest.Item) -> list[str]:
    problems = []
    if item.get_closest_marker("browser") and (reason := browser_missing()):
        problems.append(reason)
    needs_pg = item.get_closest_marker("postgres") or item.get_closest_marker("celery")
    needs_redis = item.get_closest_marker("redis") or item.get_closest_marker("celery")
    if needs_pg and (reason := postgres_missing()):
        problems.append(reason)
    if needs_redis and (reason := redis_missing()):
        problems.append(reason)
    return problems


def pytest_runtest_setup(item: pytest.Item) -> None:
    problems = _requirement_problems(item)
    if not problems:
        return
    reason = "; ".join(problems)
    if REQUIRE_INTEGRATION:
        pytest.fail(f"REQUIRE_INTEGRATION=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _isolated_cache(settings: object) -> None:
    """A fresh cache namespace per test, so throttle counters never leak between tests
    (and a shared Redis is never flushed)."""
    caches = copy.deepcopy(django_settings.CACHES)
    caches["default"]["KEY_PREFIX"] = f"test-{uuid.uuid4().hex[:12]}"
    settings.CACHES = caches


@pytest.fixture(autouse=True)
def _reset_clock() -> Iterator[None]:
    yield
    clock.reset()


@pytest.fixture
def celery_procs(tmp_path: object) -> Iterator[CeleryProcesses]:
    """Real Celery worker/beat processes for this test; killed afterwards."""
    procs = CeleryProcesses(tmp_path, django_settings.REDIS_URL)
    yield procs
    procs.stop_all()


@pytest.fixture
def staff_client(client: Client, db: None) -> Client:
    """A Django test client logged in as a staff superuser (admin pages)."""
    from tests.benchbarrier.factories import StaffFactory

    client.force_login(StaffFactory())
    return client


def run_due_jobs() -> int:
    """Run every due job in this process, as a worker would (and what they queue for
    now), until none is due; returns how many ran."""
    from jobs.runner import run_until_idle

    return sum(len(batch) for batch in run_until_idle(worker="tests"))


class BusRecorder(list):
    """The batches a test consumer got from the event bus; `deliver()` runs the
    queued delivery jobs (the real path: `bus.deliver` jobs through the queue)."""

    def take(self, events: list) -> None:
        self.append(events)

    def deliver(self) -> int:
        return run_due_jobs()


@pytest.fixture
def bus() -> Iterator[BusRecorder]:
    """Every batch the event bus delivers to consumers during the test."""
    from benchbarrier.events import consumer, unregister

    recorder = BusRecorder()
    consumer("tests.recorder")(recorder.take)
    yield recorder
    unregister("tests.recorder")


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def issue_key(db: None) -> Callable[..., IssuedKey]:
    """Make an API key: `issue_key("ai", "chat", throttle_rate="5/min")`."""

    def make(*scopes: str, **kwargs: object) -> IssuedKey:
        return create_api_key(
            name=kwargs.pop("name", "test site"),
            scopes=list(scopes),
            actor=Actor.system("tests"),
            **kwargs,
        )

    return make


@pytest.fixture
def key_client(issue_key: Callable[..., IssuedKey]) -> Callable[..., APIClient]:
    """An API client that sends a fresh key with the given scopes."""

    def make(*scopes: str, **kwargs: object) -> APIClient:
        issued = issue_key(*scopes, **kwargs)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {issued.secret}")
        client.issued = issued
        return client

    return make


@pytest.fixture
def email_at_noon(settings):
    """anymail's test backend with an empty outbox, and the clock at noon."""
    from django.core import mail

    from tests.workflows.helpers import NOON

    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    mail.outbox = []
    clock.advance(NOON - clock.now())


@pytest.fixture
def fake_openai(settings: object) -> Iterator[object]:
    """The real openai client pointed at a local fake; no client retries, 1 s timeout."""
    from tests.ai_content.fake_openai import FakeOpenAI

    fake = FakeOpenAI()
    settings.OPENAI_BASE_URL = fake.url
    settings.OPENAI_API_KEY = "sk-test"
    settings.OPENAI_MAX_RETRIES = 0
    settings.OPENAI_TIMEOUT = 1
    yield fake
    fake.close()
