"""The spend ledger every paid outside call writes to (email now, AI and SMS later)."""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Sum

from benchbarrier import clock
from benchbarrier.models import SpendEntry

logger = logging.getLogger(__name__)


def record_spend(
    *,
    service: str,
    operation: str,
    cost: Decimal | None,
    quantity: int = 1,
    model: str = "",
    reference: str = "",
    currency: str = "USD",
    details: dict[str, Any] | None = None,
) -> SpendEntry:
    """Write one ledger entry. A None cost means the price is unknown: it is recorded as
    such and logged as a warning, never counted as free."""
    if cost is None:
        logger.warning(
            "no price for %s %s %s: cost recorded as unknown", service, operation, model
        )
    return SpendEntry.objects.create(
        service=service,
        operation=operation,
        model=model,
        quantity=quantity,
        cost=cost,
        currency=currency,
        reference=reference,
        details=details or {},
    )


def month_spend(service: str | None = None, *, now: datetime | None = None) -> Decimal:
    """Known spend this calendar month (UTC), for one service or all."""
    now = now or clock.now()
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    entries = SpendEntry.objects.filter(created_at__gte=start, cost__isnull=False)
    if service:
        entries = entries.filter(service=service)
    return entries.aggregate(total=Sum("cost"))["total"] or Decimal(0)


def record_spends(
    *,
    service: str,
    operation: str,
    cost: Decimal | None,
    entries: list[tuple[str, dict[str, Any]]],
) -> list[SpendEntry]:
    """Many entries of one price at once (one INSERT): (reference, details) each."""
    if cost is None and entries:
        logger.warning("no price for %s %s: cost recorded as unknown", service, operation)
    return SpendEntry.objects.bulk_create(
        [
            SpendEntry(
                service=service,
                operation=operation,
                cost=cost,
                reference=reference,
                details=details,
            )
            for reference, details in entries
        ]
    )
