"""Discount codes: a pool's codes handed out once each (under concurrency too), generated
codes, one code per workflow run, `discount.issued` on the bus, orders marking codes
used, a dry pool failing its step with a notification, and the CSV import."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection

from analytics.models import Event
from analytics.services import record_events
from benchbarrier import clock
from benchbarrier.models import Notification
from benchbarrier.services.audit import Actor
from marketing.models import Customer, DiscountCode, DiscountPool
from marketing.services.discounts import (
    DiscountUnavailable,
    Recipient,
    import_pool_csv,
    issue_discount,
    setting_errors,
)
from tests.conftest import run_due_jobs
from tests.workflows.helpers import run_due
from workflows.models import ExecutionStatus, WorkflowExecution
from workflows.services import save_workflow, start_execution

ACTOR = Actor.system("tests")


def pool_with(*codes: str, name: str = "Winter") -> DiscountPool:
    pool = DiscountPool.objects.create(name=name, kind="percent", value=Decimal(15))
    DiscountCode.objects.bulk_create(
        [DiscountCode(code=c, pool=pool, kind="percent", value=Decimal(15)) for c in codes]
    )
    return pool


@pytest.mark.django_db
def test_generated_codes_follow_the_setting_and_are_announced():
    code = issue_discount(
        setting={"percentOff": 20, "expiresIn": "48h", "prefix": "CART"},
        to=Recipient(user_id="u1", source="tests", idempotency_key="run-1"),
    )
    assert code.code.startswith("CART") and len(code.code) == 12
    assert (code.kind, code.value) == ("percent", Decimal(20))
    assert code.expires_at == code.issued_at + timedelta(hours=48)
    assert issue_discount(setting={}, to=Recipient(idempotency_key="run-1")).pk == code.pk
    other = issue_discount(setting={}, to=Recipient(idempotency_key="run-2"))
    assert other.code != code.code and other.code.startswith("BB")
    assert other.value == Decimal(10), "the defaults: 10% off"
    run_due_jobs()
    issued = Event.objects.filter(event_name="discount.issued").order_by("id")
    assert [e.properties["code"] for e in issued] == [code.code, other.code]
    assert issued[0].user_id == "u1" and issued[0].properties["value"] == "20.00"


@pytest.mark.django_db
def test_a_pool_hands_each_code_out_once_then_runs_dry_with_a_notification():
    pool_with("SNOW-1", "SNOW-2")
    first = issue_discount(setting={"pool": "Winter"}, to=Recipient(idempotency_key="a"))
    second = issue_discount(setting={"pool": "Winter"}, to=Recipient(idempotency_key="b"))
    assert {first.code, second.code} == {"SNOW-1", "SNOW-2"}
    with pytest.raises(DiscountUnavailable, match='the discount pool "Winter" has no codes left'):
        issue_discount(setting={"pool": "Winter"}, to=Recipient(idempotency_key="c"))
    note = Notification.objects.get(kind="discount.pool_empty")
    assert "Import codes" in note.message and note.level == "critical"


@pytest.mark.django_db
def test_settings_are_checked_and_name_the_field():
    pool_with("X1")
    assert setting_errors({"pool": "Winter"}, "settings.discount") == []
    assert setting_errors({"pool": "Summer"}, "s.d") == [
        ("s.d.pool", 'no discount pool named "Summer"')
    ]
    assert setting_errors({"percentOff": 120}, "s.d") == [
        ("s.d.percentOff", "a number above 0, at most 100")
    ]
    assert [p for p, _ in setting_errors({"amountOff": 5}, "s.d")] == ["s.d.currency"]
    assert [p for p, _ in setting_errors({"expiresIn": "soon", "colour": 1}, "s.d")] == [
        "s.d.colour", "s.d.expiresIn",
    ]  # fmt: skip


@pytest.mark.django_db
def test_an_order_naming_a_code_marks_it_used_once():
    code = issue_discount(setting={}, to=Recipient(user_id="u1", idempotency_key="run-1"))
    record_events([{"eventName": "order.completed", "userId": "u1", "messageId": "o1",
                    "properties": {"orderId": "1001", "total": 90,
                                   "discountCode": code.code.lower()}}])  # fmt: skip
    record_events([{"eventName": "order.completed", "userId": "u2", "messageId": "o2",
                    "properties": {"orderId": "1002", "discountCodes": [code.code]}}])  # fmt: skip
    run_due_jobs()
    code.refresh_from_db()
    assert code.used_at is not None and code.order_id == "1001"


@pytest.mark.django_db
def test_the_csv_import_adds_new_codes_and_explains_the_rest():
    pool = pool_with("OLD-1")
    csv = "Code,Ends At\nNEW-1,2027-01-31\nnew-1,\nOLD-1,\n,\nNEW-2,someday\nNEW-3,\n"
    result = import_pool_csv(pool=pool, data=csv.encode(), actor=ACTOR)
    assert result.added == 2
    assert result.already_there == ["new-1", "OLD-1"]
    assert result.problems == ["row 5: no code, or longer than 64 characters",
                               "row 6: expiry is not a date"]  # fmt: skip
    assert DiscountCode.objects.get(code="NEW-1").expires_at.date().isoformat() == "2027-01-31"
    with pytest.raises(ValueError, match='a "code" column'):
        import_pool_csv(pool=pool, data=b"email\nx@y.z\n", actor=ACTOR)


@pytest.mark.django_db
def test_a_workflow_takes_its_codes_from_the_pool_its_settings_name(email_at_noon):
    pool_with("SNOW-1")
    Customer.objects.create(external_id="u1", email="u1@example.com", email_opt_in=True)
    Customer.objects.create(external_id="u2", email="u2@example.com", email_opt_in=True)
    flow = save_workflow(
        actor=ACTOR, name="Winter offer", trigger_type="webhook", trigger_config={},
        settings={"discount": {"pool": "Winter"}},
        steps=[{"type": "sendEmail", "template": "first-order-discount"}],
    )  # fmt: skip
    start_execution(flow, context={}, user_id="u1")
    start_execution(flow, context={}, user_id="u2")
    run_due()
    runs = {r.user_id: r for r in WorkflowExecution.objects.all()}
    assert runs["u1"].status == ExecutionStatus.COMPLETED
    assert DiscountCode.objects.get(code="SNOW-1").user_id == "u1"
    assert runs["u2"].status == ExecutionStatus.FAILED
    assert 'the discount pool "Winter" has no codes left' in runs["u2"].error
    assert runs["u2"].step_logs.count() == 1, "failed at once, not retried"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_runs_never_share_a_pool_code():
    pool_with(*[f"SNOW-{n}" for n in range(20)])
    start = threading.Barrier(8)
    issued: list[str] = []
    errors: list[BaseException] = []

    def run(number: int) -> None:
        try:
            start.wait()
            for attempt in range(2):  # a retried step gets its code again
                code = issue_discount(
                    setting={"pool": "Winter"},
                    to=Recipient(user_id=f"u{number}", idempotency_key=f"workflow:{number}"),
                )
                if attempt == 0:
                    issued.append(code.code)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(issued) == 8 and len(set(issued)) == 8, issued
    assert DiscountCode.objects.filter(issued_at__isnull=False).count() == 8
    assert DiscountCode.objects.filter(issued_at__isnull=True).count() == 12
    assert clock.now()  # the clock is untouched by the threads


@pytest.mark.django_db
def test_the_admin_imports_a_pool_and_lists_who_got_each_code(staff_client):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    pool = DiscountPool.objects.create(
        name="Spring", kind="amount", value=Decimal(5), currency="EUR"
    )
    upload = SimpleUploadedFile("codes.csv", b"code\nSPR-1\nSPR-2\nSPR-1\n", "text/csv")
    page = staff_client.post(reverse("admin:marketing_discountpool_import", args=[pool.pk]),
                             {"file": upload}, follow=True).content.decode()  # fmt: skip
    assert "2 code(s) added to Spring." in page and "1 already known" in page
    ada = Customer.objects.create(external_id="u1", email="ada@example.com", name="Ada")
    issue_discount(setting={"pool": "Spring"}, to=Recipient(customer=ada, idempotency_key="k"))
    listing = staff_client.get(reverse("admin:marketing_discountpool_changelist")).content.decode()
    assert "5.00 EUR off" in listing
    codes = staff_client.get(reverse("admin:marketing_discountcode_changelist")).content.decode()
    assert "SPR-1" in codes and "Ada" in codes
    bad = staff_client.post(reverse("admin:marketing_discountpool_import", args=[pool.pk]),
                            {"file": SimpleUploadedFile("x.csv", b"email\na@b.c\n")})  # fmt: skip
    assert "the first row must name a &quot;code&quot; column" in bad.content.decode()
