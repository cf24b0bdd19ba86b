from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.ai_content.fake_openai import FakeOpenAI


@pytest.fixture
def fake_openai(settings) -> Iterator[FakeOpenAI]:
    """The real openai client pointed at a local fake; no client retries, 1 s timeout."""
    fake = FakeOpenAI()
    settings.OPENAI_BASE_URL = fake.url
    settings.OPENAI_API_KEY = "sk-test"
    settings.OPENAI_MAX_RETRIES = 0
    settings.OPENAI_TIMEOUT = 1
    yield fake
    fake.close()
