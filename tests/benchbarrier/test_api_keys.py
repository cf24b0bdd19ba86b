from __future__ import annotations

from datetime import timedelta

import pytest

from benchbarrier import clock
from benchbarrier.models import APIKey, AuditLogEntry
from tests.benchbarrier.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_no_key_is_401_and_names_the_scheme(api_client):
    response = api_client.get("/api/keys")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"
    assert response.json()["code"] == "not_authenticated"


def test_unknown_key_is_401(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Api-Key abcdefgh.not-a-real-secret")
    response = api_client.get("/api/keys")
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_api_key"


def test_right_prefix_wrong_secret_is_401(api_client, issue_key):
    issued = issue_key("admin")
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {issued.api_key.prefix}.wrong")
    assert api_client.get("/api/keys").status_code == 401


def test_key_with_the_scope_is_let_in_and_its_use_recorded(key_client):
    client = key_client("admin")
    response = client.get("/api/keys")
    assert response.status_code == 200
    client.issued.api_key.refresh_from_db()
    assert client.issued.api_key.last_used_at is not None


def test_wrong_scope_is_403_naming_the_scope(key_client):
    response = key_client("ai", "chat").get("/api/keys")
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "missing_scope"
    assert '"admin" scope' in body["message"]


def test_revoked_key_is_401(key_client):
    client = key_client("admin")
    client.post(f"/api/keys/{client.issued.api_key.prefix}/revoke")
    response = client.get("/api/keys")
    assert response.status_code == 401


def test_expired_key_is_401(key_client):
    client = key_client("admin", expires_at=clock.now() + timedelta(days=30))
    assert client.get("/api/keys").status_code == 200
    clock.advance(timedelta(days=31))
    response = client.get("/api/keys")
    assert response.status_code == 401
    assert response.json()["code"] == "expired"


def test_keys_are_stored_hashed_never_in_clear(key_client):
    client = key_client("admin")
    created = client.post("/api/keys", {"name": "shop", "scopes": ["ai"]}, format="json")
    secret = created.json()["key"]
    prefix, _, tail = secret.partition(".")
    row = APIKey.objects.filter(prefix=prefix).values().get()
    assert all(tail not in str(value) for value in row.values())
    assert row["hashed_key"].startswith("sha512$$")
    assert "key" not in client.get(f"/api/keys/{prefix}").json()


def test_create_returns_the_key_once_and_it_works(key_client, api_client):
    client = key_client("admin")
    response = client.post(
        "/api/keys",
        {"name": "storefront", "scopes": ["automation", "ai"], "throttleRate": "100/min"},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["scopes"] == ["ai", "automation"]
    assert body["throttleRate"] == "100/min"
    assert body["prefix"] == body["key"].split(".")[0]
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {body['key']}")
    assert api_client.get("/api/keys").status_code == 403  # works, but has no admin scope


def test_rotation_keeps_the_old_key_for_the_grace_period_only(key_client, api_client):
    client = key_client("admin")
    old_secret = client.issued.secret
    prefix = client.issued.api_key.prefix
    response = client.post(f"/api/keys/{prefix}/rotate", {"grace": "1h"}, format="json")
    assert response.status_code == 201
    new_secret = response.json()["key"]
    assert response.json()["rotatedFrom"] == prefix

    new_client = api_client
    new_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {new_secret}")
    assert new_client.get("/api/keys").status_code == 200
    assert client.get("/api/keys").status_code == 200, "old key works within the grace"

    clock.advance(timedelta(minutes=61))
    assert client.get("/api/keys").status_code == 401, "old key fails after the grace"
    assert new_client.get("/api/keys").status_code == 200
    assert old_secret != new_secret


def test_a_key_cannot_be_rotated_twice(key_client):
    client = key_client("admin")
    prefix = client.issued.api_key.prefix
    assert client.post(f"/api/keys/{prefix}/rotate").status_code == 201
    response = client.post(f"/api/keys/{prefix}/rotate")
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == f"Key {prefix} was already rotated."


def test_key_actions_are_audited_with_actor_and_request_id(key_client):
    client = key_client("admin")
    created = client.post(
        "/api/keys", {"name": "shop", "scopes": ["ai"]}, format="json", HTTP_X_REQUEST_ID="req-42"
    ).json()
    client.post(f"/api/keys/{created['prefix']}/rotate")
    client.post(f"/api/keys/{created['prefix']}/revoke")
    entries = AuditLogEntry.objects.filter(target_id__startswith=created["prefix"]).order_by("id")
    assert [e.action for e in entries] == [
        "api_key.created",
        "api_key.rotated",
        "api_key.revoked",
    ]
    first = entries[0]
    assert first.actor_type == "api_key"
    assert first.actor_api_key == client.issued.api_key
    assert first.request_id == "req-42"
    assert first.ip_address == "127.0.0.1"

    log = client.get("/api/audit-log", {"actionPrefix": "api_key.", "requestId": "req-42"})
    assert log.status_code == 200
    assert [e["action"] for e in log.json()["results"]] == ["api_key.created"]
    assert log.json()["results"][0]["actorType"] == "api_key"


def test_staff_session_can_use_the_api(api_client):
    api_client.force_login(StaffFactory())
    assert api_client.get("/api/keys").status_code == 200


def test_non_staff_session_is_refused(api_client):
    api_client.force_login(UserFactory())
    response = api_client.get("/api/keys")
    assert response.status_code == 403
    assert "staff" in response.json()["message"]


def test_paths_take_no_trailing_slash_and_accept_one(key_client):
    client = key_client("admin")
    assert client.get("/api/keys").status_code == 200
    assert client.get("/api/keys/").status_code == 200
    prefix = client.issued.api_key.prefix
    assert client.post(f"/api/keys/{prefix}/rotate/").status_code == 201
