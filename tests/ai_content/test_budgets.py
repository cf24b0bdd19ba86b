"""Monthly budgets, through real generations (the spend spike is an alert rule:
tests/benchbarrier/test_alerts.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from benchbarrier import clock
from benchbarrier.models import Budget, BudgetMode, Notification
from benchbarrier.services.spend import month_spend, record_spend

pytestmark = pytest.mark.django_db
GENERATE = "/api/ai/generate/content"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _now():
    clock.advance(NOW - clock.now())


@pytest.fixture
def client(key_client):
    return key_client("ai")


def spend(amount: str, service: str = "openai") -> None:
    record_spend(service=service, operation="chat.completion", cost=Decimal(amount))


def test_budgets_are_seeded_from_the_seed_limits():
    limits = {b.label: b.monthly_limit for b in Budget.objects.all()}
    assert limits == {"openai": 500, "email": 100, "sms": 50, "total": 1000}


def test_warning_at_80_percent_and_refusal_at_the_limit(client, fake_openai):
    spend("399.00")
    assert not Notification.objects.exists()
    spend("1.00")  # 400 of 500: 80%
    warning = Notification.objects.get(kind="budget.warning")
    assert "openai budget for 2026-11 is 80% spent: 400.00 of 500.00 USD" in warning.message
    spend("50.00")
    assert Notification.objects.filter(kind="budget.warning").count() == 1, "once a month"
    assert client.post(GENERATE, {"customPrompt": "hi"}, format="json").status_code == 201
    spend("50.00")  # 500.000042 of 500
    assert Notification.objects.filter(kind="budget.exceeded", level="critical").exists()
    response = client.post(GENERATE, {"customPrompt": "hi"}, format="json")
    assert response.status_code == 402
    body = response.json()
    assert body["code"] == "budget_exceeded"
    assert "monthly openai budget of 500.00 USD is spent" in body["message"]
    assert "until it resets on 2026-12-01" in body["message"]
    assert len(fake_openai.requests) == 1, "the refused call never reached the provider"


def test_the_total_budget_counts_every_service(client, fake_openai):
    spend("990", service="email")  # the email budget (100) is not an AI budget
    spend("10")
    response = client.post(GENERATE, {"customPrompt": "hi"}, format="json")
    assert response.status_code == 402
    assert "monthly total budget of 1000.00 USD" in response.json()["message"]


def test_warn_only_budgets_never_refuse(client, fake_openai):
    Budget.objects.update(mode=BudgetMode.WARN_ONLY)
    spend("600")
    assert client.post(GENERATE, {"customPrompt": "hi"}, format="json").status_code == 201
    assert Notification.objects.filter(kind="budget.exceeded").exists()


def test_a_new_month_starts_from_zero():
    spend("450")
    assert month_spend("openai") == Decimal("450")
    clock.advance(timedelta(days=6))  # 2026-12-01
    assert month_spend("openai") == 0
    assert month_spend() == 0
