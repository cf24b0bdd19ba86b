from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_a_key_over_its_rate_gets_429_with_retry_after(key_client):
    client = key_client("admin", throttle_rate="3/min")
    assert [client.get("/api/keys").status_code for _ in range(3)] == [200, 200, 200]
    response = client.get("/api/keys")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert response.json()["code"] == "throttled"


def test_each_key_has_its_own_budget(key_client, settings):
    settings.API_THROTTLE_CLIENT_RATE = "2/min"
    first, second = key_client("admin"), key_client("admin")
    assert [first.get("/api/keys").status_code for _ in range(3)] == [200, 200, 429]
    assert second.get("/api/keys").status_code == 200


def test_the_global_throttle_caps_all_keys_together(key_client, settings):
    settings.API_THROTTLE_GLOBAL_RATE = "4/min"
    clients = [key_client("admin") for _ in range(4)]
    assert [c.get("/api/keys").status_code for c in clients] == [200] * 4
    fresh = key_client("admin")
    response = fresh.get("/api/keys")
    assert response.status_code == 429
    assert "Retry-After" in response
