"""What the API used to take silently and now refuses (or says in its schema), each found
by fuzzing it from its schema: a 400 naming the field instead of a quiet default."""

from __future__ import annotations

import pytest
import yaml

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("query", "field"), [
    ({"pageSize": "-3"}, "pageSize"), ({"page": "two"}, "page"),
    ({"emailOptIn": "maybe"}, "emailOptIn"), ({"ordering": "password"}, "ordering"),
])  # fmt: skip
def test_a_bad_page_filter_or_ordering_is_a_400_naming_it(key_client, query, field):
    answer = key_client("marketing").get("/api/marketing/customers", query)

    assert answer.status_code == 400
    assert answer.json()["errors"][0]["field"] == field


def test_empty_optional_values_filter_nothing(key_client):
    answer = key_client("marketing").get("/api/marketing/customers", {
        "page": "", "pageSize": "", "emailOptIn": "", "seenAfter": ""})  # fmt: skip

    assert answer.status_code == 200


def test_a_list_in_its_own_order_refuses_an_ordering(key_client):
    answer = key_client("automation").get("/api/automation/jobs", {"ordering": "status"})

    assert answer.status_code == 400
    assert answer.json()["errors"][0]["message"] == "this list keeps its own order"


@pytest.mark.parametrize(("body", "field", "message"), [
    ({"externalId": 42}, "externalId", "Not text."),
    ({"externalId": "x" * 255 + " "}, "externalId", "no more than 255 characters"),
    ({"externalId": "u1", "emailOptIn": 1}, "emailOptIn", "true or false."),
    ({"externalId": "u1", "emailOptIn": "true"}, "emailOptIn", "true or false."),
])  # fmt: skip
def test_what_drf_would_coerce_is_refused(key_client, body, field, message):
    answer = key_client("marketing").post("/api/marketing/customers", body, format="json")

    assert answer.status_code == 400, answer.json()
    error = next(e for e in answer.json()["errors"] if e["field"] == field)
    assert message in error["message"]


def test_a_related_row_that_does_not_exist_matches_nothing(key_client):
    answer = key_client("ai").get("/api/ai/generations", {"prompt": 999999})

    assert answer.status_code == 200 and answer.json()["results"] == []


def test_a_duration_too_long_to_keep_is_a_400(key_client):
    api = key_client("admin")
    prefix = api.issued.api_key.prefix
    answer = api.post(f"/api/keys/{prefix}/rotate", {"grace": "99999999999999w"}, format="json")

    assert answer.status_code == 400
    assert "longer than any duration" in answer.json()["message"]


def test_a_sequence_patched_without_steps_is_unchanged(key_client):
    api = key_client("marketing")
    key = api.get("/api/marketing/sequences").json()[0]["key"]
    before = api.get(f"/api/marketing/sequences/{key}").json()

    answer = api.patch(f"/api/marketing/sequences/{key}", {}, format="json")

    assert answer.status_code == 200 and answer.json() == before


def test_the_schema_says_what_the_code_enforces(client):
    schema = yaml.safe_load(client.get("/api/schema/").content)
    components = schema["components"]["schemas"]
    customers = schema["paths"]["/api/marketing/customers"]["get"]["parameters"]
    by_name = {p["name"]: p for p in customers}

    assert components["IdentifyRequest"]["additionalProperties"] is False
    assert components["BulkCreateJobsRequest"]["properties"]["jobs"]["minItems"] == 1
    assert by_name["pageSize"]["schema"]["minimum"] == 1
    assert by_name["seenAfter"]["allowEmptyValue"] is True
    assert "[0-5][0-9])$" in by_name["seenAfter"]["schema"]["pattern"]
    assert by_name["ordering"]["schema"]["pattern"].startswith("^-?(")
    assert by_name["emailOptIn"]["schema"] == {"type": "boolean"}


def test_a_number_given_as_text_in_json_is_refused_with_the_other_errors(key_client):
    answer = key_client("automation").post("/api/automation/jobs", {
        "jobType": "jobs.noop", "priority": "5", "maxAttempts": True}, format="json")  # fmt: skip

    assert answer.status_code == 400
    assert {e["field"]: e["message"] for e in answer.json()["errors"]} == {
        "priority": "A number.", "maxAttempts": "A number."}  # fmt: skip


def test_an_execution_filter_by_workflow_takes_an_id(key_client):
    answer = key_client("automation").get("/api/automation/executions", {"workflow": "0.5"})

    assert answer.status_code == 400 and answer.json()["errors"][0]["field"] == "workflow"
