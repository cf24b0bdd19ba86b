from __future__ import annotations

import pytest
from django.core import mail

from benchbarrier import clock
from tests.workflows.helpers import NOON


@pytest.fixture
def email_at_noon(settings):
    """anymail's test backend with an empty outbox, and the clock at noon."""
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    mail.outbox = []
    clock.advance(NOON - clock.now())
