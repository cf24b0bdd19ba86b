"""Every 4xx has one body: code, message, errors[{field, code, message}], requestId."""

from __future__ import annotations

import pytest

from benchbarrier.models import APIKey
from tests.api_errors import error_fields

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(key_client):
    return key_client("admin")


def test_malformed_json_is_400_saying_so(admin_client):
    response = admin_client.post(
        "/api/keys", data='{"name": "shop", "scopes": [', content_type="application/json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "malformed_json"
    assert "JSON parse error" in body["message"]
    assert body["requestId"] == response["X-Request-ID"]


def test_missing_required_fields_are_named(admin_client):
    response = admin_client.post("/api/keys", {}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert error_fields(response) == {"name": "required", "scopes": "required"}


def test_wrong_types_are_named_in_camel_case(admin_client):
    response = admin_client.post(
        "/api/keys",
        {"name": "shop", "scopes": "ai", "throttleRate": {"per": "min"}, "expiresAt": 12},
        format="json",
    )
    assert response.status_code == 400
    assert error_fields(response) == {
        "scopes": "not_a_list",
        "throttleRate": "invalid",
        "expiresAt": "invalid",
    }


def test_unknown_fields_are_refused_by_name(admin_client):
    response = admin_client.post(
        "/api/keys", {"name": "shop", "scopes": ["ai"], "expiresAtt": None}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "expiresAtt", "code": "unknown_field", "message": "Unknown field."}
    ]
    assert not APIKey.objects.filter(name="shop").exists(), "nothing half-written"


def test_errors_inside_lists_carry_the_index(admin_client):
    response = admin_client.post(
        "/api/keys", {"name": "shop", "scopes": ["ai", "everything"]}, format="json"
    )
    assert error_fields(response) == {"scopes[1]": "invalid_choice"}
    assert response.json()["message"].startswith("scopes[1]: ")


def test_bad_domain_values_say_what_to_write(admin_client):
    response = admin_client.post(
        "/api/keys", {"name": "shop", "scopes": ["ai"], "throttleRate": "lots"}, format="json"
    )
    assert response.status_code == 400
    assert 'like "600/min"' in response.json()["errors"][0]["message"]


def test_unknown_api_path_is_a_json_404(admin_client):
    response = admin_client.get("/api/no-such-thing")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_unknown_object_is_a_json_404(admin_client):
    response = admin_client.get("/api/keys/nosuchkey")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_wrong_method_is_405_in_the_same_format(admin_client):
    response = admin_client.delete("/api/keys")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


@pytest.mark.parametrize(
    ("scope", "path", "parameter"),
    [
        ("automation", "/api/automation/jobs", "createdAfter"),
        ("automation", "/api/automation/executions", "startedBefore"),
        ("marketing", "/api/marketing/customers", "seenAfter"),
        ("admin", "/api/audit-log", "since"),
    ],
)
def test_a_time_filter_with_an_offset_postgresql_cannot_store_is_400(
    key_client, scope, path, parameter
):
    client = key_client(scope)
    response = client.get(path, {parameter: "2026-11-24T12:00:00-18:07"})
    assert response.status_code == 400, response.content
    assert error_fields(response) == {parameter: "invalid"}
    assert "UTC offset out of range" in response.json()["message"]
    assert client.get(path, {parameter: "2026-11-24T12:00:00-15:59"}).status_code == 200
    assert client.get(path, {parameter: "not a time"}).status_code == 400


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
def test_an_unknown_api_path_is_a_json_404_for_every_method(method):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)  # as a browser or a site's server would call
    response = getattr(client, method)(
        "/api/automation/nothing-here", content_type="application/json"
    )
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert (
        body["code"] == "not_found"
        and body["message"] == "No API endpoint at /api/automation/nothing-here."
    )
    assert body["errors"] == [{"field": None, "code": "not_found", "message": body["message"]}]
