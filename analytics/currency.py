"""Money in one reporting currency: the rate table (REPORTING_CURRENCY, CURRENCY_RATES),
an order's currency and amounts read from event properties."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings

CENT = Decimal("0.01")


def rates() -> dict[str, Decimal]:
    """Units of REPORTING_CURRENCY per unit of each other currency."""
    table = {settings.REPORTING_CURRENCY: Decimal(1)}
    for pair in settings.CURRENCY_RATES:
        code, _, rate = pair.partition("=")
        table[code.strip().upper()] = Decimal(rate.strip())
    return table


def amount(value: Any) -> Decimal | None:
    """A finite number, or None."""
    try:
        found = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return found if found.is_finite() else None


def currency_of(properties: dict[str, Any]) -> str:
    return str(properties.get("currency") or settings.REPORTING_CURRENCY).upper()
