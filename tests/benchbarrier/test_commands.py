from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from benchbarrier.models import APIKey

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_apikey_create_prints_the_key_once(api_client):
    output = run(
        "apikey", "create", "--name", "site", "--scopes", "admin,ai", "--expires-in", "90d"
    )
    secret = output.strip().splitlines()[-1]
    key = APIKey.objects.get(name="site")
    assert secret.startswith(f"{key.prefix}.")
    assert key.scopes == ["admin", "ai"]
    assert key.expiry_date is not None
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")
    assert api_client.get("/api/keys").status_code == 200
    assert secret not in run("apikey", "list")


def test_apikey_create_explains_bad_input():
    with pytest.raises(CommandError, match="Unknown scope everything"):
        run("apikey", "create", "--name", "site", "--scopes", "everything")
    with pytest.raises(CommandError, match='"soon" is not a duration'):
        run("apikey", "create", "--name", "site", "--scopes", "ai", "--expires-in", "soon")


def test_apikey_rotate_and_revoke(issue_key):
    issued = issue_key("ai")
    output = run("apikey", "rotate", issued.api_key.prefix, "--grace", "2h")
    assert "keeps working until" in output
    new_key = APIKey.objects.get(rotated_from=issued.api_key)
    run("apikey", "revoke", new_key.prefix)
    new_key.refresh_from_db()
    assert new_key.revoked
    with pytest.raises(CommandError, match="No API key with prefix"):
        run("apikey", "revoke", "nope")


def test_load_demo_is_idempotent_and_prints_credentials(settings):
    settings.DEBUG = True
    first = run("load_demo")
    second = run("load_demo")
    assert "username 'demo', password 'demo'" in first
    assert "Created demo API key" in first
    assert "Demo API key exists" in second
    user = get_user_model().objects.get(username="demo")
    assert user.is_staff
    assert user.check_password("demo")
    assert APIKey.objects.filter(name="Demo site key").count() == 1


def test_load_demo_refuses_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="only runs with DEBUG=1"):
        run("load_demo")
