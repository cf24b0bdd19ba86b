"""The API fuzzed from its own OpenAPI schema with schemathesis, against the WSGI app on
the test database (PostgreSQL in CI; never the demo data), with every check: no 5xx,
every status code documented, every answer matching its schema, content type and headers,
schema-valid requests accepted and schema-violating ones refused (the operations whose
inputs obey rules no schema can state are listed in schemathesis.toml, with the rule). A
fixed seed and a bounded number of examples keep it deterministic and within the suite's
time; the coverage phase runs by hand (`schemathesis run`)."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture(scope="module")
def provider():
    """One local AI provider for the whole run (starting one per operation costs more
    than the calls)."""
    from tests.ai_content.fake_openai import FakeOpenAI

    fake = FakeOpenAI()
    yield fake
    fake.close()


@pytest.fixture
def ai(provider, settings):
    settings.OPENAI_BASE_URL, settings.OPENAI_API_KEY = provider.url, "sk-test"
    settings.OPENAI_MAX_RETRIES, settings.OPENAI_TIMEOUT = 0, 1


@pytest.fixture(autouse=True)
def _one_connection():
    """The test's transaction holds the database connection; a request finishing must not
    close it (what Django's own test client arranges, done here for the WSGI calls)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


@schema.parametrize()
@hypothesis_settings(max_examples=10, derandomize=True, deadline=None, database=None,
                     phases=[Phase.explicit, Phase.generate],
                     suppress_health_check=list(HealthCheck))  # fmt: skip
def test_the_api_holds_to_its_schema(case, issue_key, ai):
    key = issue_key("automation", "ai", "marketing", "analytics", "chat", "admin")
    case.call_and_validate(headers={"Authorization": f"Api-Key {key.secret}"})
