"""What a paid call costs: the project's price table first (Platform > Model prices,
edited by the shop), then the maintained `genai-prices` data for any model the table
lacks (the seed's `gpt-4` and `gpt-3.5-turbo`, Anthropic's models...). A model with no
price in either is unknown: its cost is recorded as null, never 0, and while a budget
covers its service a call to it is refused (`check_priced`), since an unpriced call
would escape the budget.

Services the ledger knows: the seed's `openai`, `anthropic`, `stability`, `email`,
`sms`, plus the channels that come; the `total` budget counts them all.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from genai_prices import Usage, calc_price

from benchbarrier.models import Budget, ModelPrice

MILLION = Decimal(1_000_000)
# The services `genai-prices` knows, by our ledger's names.
_GENAI_PROVIDERS = {"openai": "openai", "anthropic": "anthropic"}


class PriceUnknown(Exception):
    """No price for a model whose service a budget covers (API: 400 naming `model`)."""

    def __init__(self, service: str, model: str) -> None:
        self.service, self.model = service, model
        super().__init__(
            f'no price is known for the model "{model}", and the {service} and total budgets '
            "count every call: add its price in the admin (Platform > Model prices: the "
            "input and output price per 1M tokens, or per image), or use a priced model"
        )


@dataclass(frozen=True)
class TokenUsage:
    """What a completion used, from the provider's `usage` field."""

    input_tokens: int = 0
    cached_tokens: int = 0  # part of input_tokens served from the provider's cache
    output_tokens: int = 0

    @property
    def total(self) -> int:
        return self.input_tokens + self.output_tokens


PRICES_TTL_SECONDS = 60
_prices: dict[str, tuple[float, ModelPrice | None]] = {}


def price_of(model: str) -> ModelPrice | None:
    """The model's row of the price table, kept for a minute per process (an edit in the
    admin applies within that minute)."""
    now = time.monotonic()
    cached = _prices.get(model)
    if cached is None or now - cached[0] > PRICES_TTL_SECONDS:
        cached = (now, ModelPrice.objects.filter(model=model).first())
        _prices[model] = cached
    return cached[1]


@receiver(post_save, sender=ModelPrice)
@receiver(post_delete, sender=ModelPrice)
def _forget_prices(**kwargs: Any) -> None:
    _prices.clear()


def token_cost(model: str, usage: TokenUsage, *, service: str = "openai") -> Decimal | None:
    """The cost of `usage` on `model`: the price table's, else genai-prices'; None when
    neither knows the model."""
    price = price_of(model)
    if price is not None and None not in (price.input_per_million, price.output_per_million):
        cached_rate = (
            price.cached_input_per_million
            if price.cached_input_per_million is not None
            else price.input_per_million
        )
        fresh = max(usage.input_tokens - usage.cached_tokens, 0)
        cost = (
            fresh * price.input_per_million
            + usage.cached_tokens * cached_rate
            + usage.output_tokens * price.output_per_million
        ) / MILLION
        return cost.quantize(Decimal("0.000001"))
    if not _known_to_genai_prices(service, model):
        return None
    found = calc_price(
        Usage(input_tokens=usage.input_tokens, cache_read_tokens=usage.cached_tokens,
              output_tokens=usage.output_tokens),
        model_ref=model, provider_id=_GENAI_PROVIDERS[service],
    )  # fmt: skip
    return Decimal(str(found.total_price)).quantize(Decimal("0.000001"))


def image_cost(model: str, count: int) -> Decimal | None:
    price = price_of(model)
    return None if price is None or price.per_image is None else price.per_image * count


def has_price(service: str, model: str, *, per_image: bool = False) -> bool:
    price = price_of(model)
    if per_image:
        return price is not None and price.per_image is not None
    if price is not None and None not in (price.input_per_million, price.output_per_million):
        return True
    return _known_to_genai_prices(service, model)


def check_priced(service: str, model: str, *, per_image: bool = False) -> None:
    """Raise PriceUnknown when `model` has no price and a budget covers `service` (its
    own or the total): the call's cost could not be counted against it."""
    if has_price(service, model, per_image=per_image):
        return
    if Budget.objects.filter(service__in=[service, ""]).exists():
        raise PriceUnknown(service, model)


@lru_cache(maxsize=512)
def _known_to_genai_prices(service: str, model: str) -> bool:
    provider = _GENAI_PROVIDERS.get(service)
    if provider is None:
        return False
    try:
        calc_price(Usage(input_tokens=1, output_tokens=1), model_ref=model, provider_id=provider)
    except LookupError:
        return False
    return True
