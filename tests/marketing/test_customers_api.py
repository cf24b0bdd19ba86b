"""`/api/marketing/customers`: identify, import, list, detail."""

from __future__ import annotations

import pytest

from analytics.services import record_events
from benchbarrier.models import AuditLogEntry
from marketing.models import Customer
from tests.api_errors import error_fields
from tests.conftest import run_due_jobs
from tests.marketing.factories import CustomerFactory

pytestmark = pytest.mark.django_db
URL = "/api/marketing/customers"


@pytest.fixture
def client(key_client):
    return key_client("marketing")


def test_identify_creates_then_updates_by_external_id(client):
    created = client.post(
        URL,
        {"externalId": "42", "email": "Ada@Example.com", "name": "Ada", "emailOptIn": True,
         "emailOptInSource": "checkout", "traits": {"plan": "pro", "shoe_size": 38}},
        format="json",
    )  # fmt: skip
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["email"] == "ada@example.com"
    assert body["emailOptIn"] is True and body["emailOptInSource"] == "checkout"
    assert body["emailOptInAt"] is not None
    assert body["traits"] == {"plan": "pro", "shoe_size": 38}
    updated = client.post(
        URL, {"externalId": "42", "name": "Ada M.", "traits": {"plan": None, "vip": True}},
        format="json",
    )  # fmt: skip
    assert updated.status_code == 200
    assert updated.json()["name"] == "Ada M."
    assert updated.json()["email"] == "ada@example.com"
    assert updated.json()["traits"] == {"shoe_size": 38, "vip": True}
    assert Customer.objects.count() == 1
    assert AuditLogEntry.objects.filter(action="customer.upserted").count() == 2


def test_identify_by_email_attaches_the_site_user_id(client):
    customer = CustomerFactory(external_id=None, email="bram@example.com")
    response = client.post(URL, {"externalId": "7", "email": "BRAM@example.com"}, format="json")
    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.external_id == "7"


def test_an_email_of_another_customer_is_409(client):
    CustomerFactory(external_id="1", email="ada@example.com")
    CustomerFactory(external_id="2", email="bram@example.com")
    response = client.post(URL, {"externalId": "2", "email": "ada@example.com"}, format="json")
    assert response.status_code == 409
    assert error_fields(response) == {"email": "conflict"}
    assert Customer.objects.get(external_id="2").email == "bram@example.com"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Nobody"}, "externalId"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "a@b.test", "timezone": "Mars/Olympus"}, "timezone"),
        ({"email": "a@b.test", "traits": ["x"]}, "traits"),
        ({"email": "a@b.test", "emailOptIn": "maybe"}, "emailOptIn"),
        ({"email": "a@b.test", "favouriteColour": "red"}, "favouriteColour"),
    ],
)
def test_bad_input_is_400_naming_the_field(client, body, field):
    response = client.post(URL, body, format="json")
    assert response.status_code == 400
    assert field in error_fields(response)
    assert Customer.objects.count() == 0


def test_bulk_import_is_all_or_nothing(client):
    CustomerFactory(external_id="1", email="one@example.com")
    people = [{"externalId": str(n), "email": f"p{n}@example.com"} for n in range(1, 6)]
    response = client.post(f"{URL}/bulk", {"customers": people}, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["created"], response.json()["updated"]) == (4, 1)
    assert Customer.objects.get(external_id="1").email == "p1@example.com"

    broken = [{"externalId": "9", "email": "p9@example.com"}, {"email": "broken"}]
    response = client.post(f"{URL}/bulk", {"customers": broken}, format="json")
    assert response.status_code == 400
    assert error_fields(response) == {"customers[1].email": "invalid"}
    repeated = [{"externalId": "9", "email": "p9@example.com"}, {"externalId": "9"}]
    response = client.post(f"{URL}/bulk", {"customers": repeated}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "field": "customers[1].externalId", "code": "invalid",
        "message": "Repeats customers[0].",
    }  # fmt: skip
    assert not Customer.objects.filter(external_id="9").exists()


def test_list_filters_and_search(client):
    CustomerFactory(email="ada@example.com", name="Ada", total_spent=500, order_count=3,
                    email_opt_in=True)  # fmt: skip
    CustomerFactory(email="bram@example.com", name="Bram")
    names = lambda response: [c["name"] for c in response.json()["results"]]  # noqa: E731
    assert names(client.get(URL, {"search": "ada"})) == ["Ada"]
    assert names(client.get(URL, {"hasOrdered": "false"})) == ["Bram"]
    assert names(client.get(URL, {"emailOptIn": "true", "minTotalSpent": 100})) == ["Ada"]
    assert names(client.get(URL, {"ordering": "-total_spent"})) == ["Ada", "Bram"]


def test_detail_shows_recent_events_and_segments(client):
    record_events(
        [{"eventName": "product.viewed", "userId": "u5", "messageId": f"v{n}",
          "properties": {"productId": n}} for n in range(25)]
    )  # fmt: skip
    run_due_jobs()
    customer = Customer.objects.get(external_id="u5")
    body = client.get(f"{URL}/{customer.pk}").json()
    assert body["productViews"] == 25
    assert len(body["recentEvents"]) == 20
    assert body["recentEvents"][0]["eventName"] == "product.viewed"
    assert body["segments"] == []
