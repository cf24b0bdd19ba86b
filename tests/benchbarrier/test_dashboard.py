"""The admin's home: a dashboard of the business, and navigation grouped by task."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from analytics.services import record_events
from tests.benchbarrier.factories import StaffFactory
from tests.conftest import run_due_jobs

pytestmark = pytest.mark.django_db


def sections(html: str) -> list[str]:
    return re.findall(r'<div id="section-([a-z]+)">\s*<h3>', html)


def test_the_dashboard_renders_on_an_empty_database(staff_client):
    page = staff_client.get(reverse("admin:index"))
    assert page.status_code == 200
    text = page.content.decode()
    for title in ("Sales", "Workflows", "Audience", "Email, last 24 hours", "Background jobs",
                  "Spend this month"):  # fmt: skip
        assert f'aria-label="{title}' in text, title
    assert "nothing yet" in text  # the empty revenue chart says so
    assert sections(text) == ["audience", "automation", "content", "analytics", "operations",
                              "settings"]  # fmt: skip


def test_figures_come_from_the_data_and_link_to_their_lists(staff_client):
    record_events([{"eventName": "order.completed", "userId": f"u{n}", "messageId": f"o{n}",
                    "properties": {"orderId": str(n), "total": "49.95"}} for n in range(3)]
                  + [{"eventName": "order.completed", "userId": "u9", "messageId": "bad",
                      "properties": {"total": "a lot"}}])  # fmt: skip
    run_due_jobs()
    text = staff_client.get(reverse("admin:index")).content.decode()
    assert re.search(
        r'<span class="value">149.85</span>\s*<span class="label">revenue today', text
    )
    assert re.search(r'<span class="value">4</span>\s*<span class="label">orders today', text)
    assert "/admin/analytics/event/?event=order.completed" in text
    assert "<title>" in text and "<rect" in text  # the revenue bars with their tooltips


def test_scheduler_and_user_tables_are_for_superusers_only(client):
    staff = StaffFactory(is_superuser=False)
    staff.user_permissions.add(*__import__("django.contrib.auth.models", fromlist=["Permission"])
                               .Permission.objects.all())  # fmt: skip
    client.force_login(staff)
    text = client.get(reverse("admin:index")).content.decode()
    assert "Periodic tasks" not in text and "Users" not in text
    assert "Customers" in text and "Workflow runs" in text and "AI generations" in text
    superuser = StaffFactory(is_superuser=True)
    client.force_login(superuser)
    text = client.get(reverse("admin:index")).content.decode()
    assert "Periodic tasks" in text and "Users" in text


def test_the_dashboard_renders_with_the_demo_data(staff_client, settings):
    from django.core.management import call_command

    settings.DEBUG = True  # load_demo refuses to run otherwise (it makes a known password)
    call_command("load_demo", stdout=__import__("io").StringIO())
    page = staff_client.get(reverse("admin:index"))
    assert page.status_code == 200
    text = page.content.decode()
    customers = re.search(
        r'<span class="value">([\d,]+)</span>\s*<span class="label">customers', text
    )
    assert customers and int(customers.group(1).replace(",", "")) > 100
    assert re.search(r'<span class="value">2</span>\s*<span class="label">active workflows', text)
