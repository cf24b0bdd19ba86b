"""The admin's login locks a username out from an address after too many wrong passwords
(django-axes); the lock lifts with `manage.py axes_reset_username` or after the cool-off."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db
PASSWORD = "a long and proper password 42"


@pytest.fixture
def staff():
    from tests.benchbarrier.factories import StaffFactory

    user = StaffFactory(username="ops", is_superuser=True)
    user.set_password(PASSWORD)
    user.save()
    return user


def log_in(password: str, address: str = "203.0.113.7") -> int:
    client = Client(REMOTE_ADDR=address)
    answer = client.post("/admin/login/?next=/admin/", {"username": "ops", "password": password})
    return answer.status_code


def test_five_wrong_passwords_lock_the_username_out_from_that_address(staff, settings):
    settings.AXES_FAILURE_LIMIT = 5
    assert [log_in("guess") for _ in range(4)] == [200] * 4  # the form again, with an error
    assert log_in("guess") == 429  # the fifth: locked
    assert log_in(PASSWORD) == 429  # even the right password, until unlocked
    assert log_in(PASSWORD, address="198.51.100.9") == 302  # the owner elsewhere is not
    call_command("axes_reset_username", "ops")
    assert log_in(PASSWORD) == 302
