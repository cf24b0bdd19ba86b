from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.core import mail

from benchbarrier import clock
from tests.conftest import run_due_jobs
from workflows.demo import seed_fields
from workflows.models import Workflow
from workflows.services import save_workflow

NOON = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
CART = {
    "cartId": "cart-1",
    "items": [{"name": "Trail shoes", "productId": "p1", "quantity": 1, "price": "119.00"}],
    "total": "119.00",
    "currency": "EUR",
    "url": "https://shop.example.com/cart/cart-1",
}


def run_due() -> None:
    """Run every due job (and what they queue for now), as a worker would: event
    deliveries, workflow steps, emails."""
    run_due_jobs()


def travel(delta: timedelta) -> None:
    clock.advance(delta)


def subjects() -> list[str]:
    return [m.subject for m in mail.outbox]


def seed_workflow(name: str) -> Workflow:
    from benchbarrier.services.audit import Actor

    return save_workflow(actor=Actor.system("tests"), **seed_fields(name))
