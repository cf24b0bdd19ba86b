from __future__ import annotations

import pytest
import yaml
from django.core.management import call_command


def test_schema_generates_without_warnings_and_validates(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    schema = yaml.safe_load(out.read_text())
    assert "/api/keys" in schema["paths"]
    assert "/api/keys/{prefix}/rotate" in schema["paths"]
    assert {
        "/api/automation/jobs",
        "/api/automation/jobs/bulk",
        "/api/automation/jobs/{id}/retry",
    } <= set(schema["paths"])
    assert schema["components"]["securitySchemes"]["ApiKeyAuth"]["name"] == "Authorization"
    key = schema["components"]["schemas"]["APIKey"]["properties"]
    assert {"throttleRate", "expiresAt", "lastUsedAt"} <= set(key)
    error = schema["components"]["schemas"]["Error"]["properties"]
    assert set(error) == {"code", "message", "errors", "requestId"}
    create = schema["paths"]["/api/keys"]["post"]["responses"]
    assert {"201", "400", "401", "403", "429"} <= set(create)
    audit_params = {p["name"] for p in schema["paths"]["/api/audit-log"]["get"]["parameters"]}
    assert {"actorType", "requestId", "since"} <= audit_params


@pytest.mark.django_db
def test_schema_and_docs_are_served(client):
    assert client.get("/api/schema/").status_code == 200
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content
