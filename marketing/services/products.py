"""The product catalogue the shop keeps in sync: a bulk upsert (the API; each item on its
own, a bad one never sinks the others) and `product.updated` events, both keeping only a
change newer than the one kept (so a repeat or a late event changes nothing). The bot
finds products named in a message and describes them from here."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from djangorestframework_camel_case.util import underscoreize
from rest_framework import serializers

from benchbarrier import clock
from benchbarrier.api import serializers as base
from benchbarrier.api.errors import flatten_errors
from marketing.models import Product

MAX_BATCH = 1000
FIELDS = ["name", "description", "category", "price", "currency", "url", "image_url",
          "in_stock", "attributes"]  # fmt: skip
STOPWORDS = {"the", "a", "an", "and", "of", "for", "with", "in", "on", "to", "about"}


class ProductInputSerializer(base.Serializer):
    product_id = serializers.CharField(max_length=100, help_text="The shop's id (SKU).")
    name = serializers.CharField(max_length=255)
    description = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    category = serializers.CharField(required=False, allow_blank=True, max_length=100)
    price = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal(0),
                                     required=False, allow_null=True)  # fmt: skip
    currency = serializers.RegexField(r"^[A-Za-z]{3}$", required=False, allow_blank=True)
    url = serializers.URLField(required=False, allow_blank=True, max_length=500)
    image_url = serializers.URLField(required=False, allow_blank=True, max_length=500)
    in_stock = serializers.BooleanField(required=False, default=True)
    attributes = serializers.DictField(required=False, default=dict)
    changed_at = serializers.DateTimeField(required=False, help_text="Default: now.")


@dataclass
class Outcome:
    index: int
    product_id: str
    status: str  # created, updated, unchanged (not newer than the kept one), rejected
    errors: list[dict[str, str]] = field(default_factory=list)


def check(data: Any) -> dict[str, Any] | list[dict[str, str]]:
    """The validated product, or its errors (field in camelCase, code, message)."""
    checked = ProductInputSerializer(data=data)
    if checked.is_valid():
        return dict(checked.validated_data)
    return flatten_errors(checked.errors)


def upsert_products(items: list[Any], *, camel: bool = False) -> list[Outcome]:
    """Create or update each valid item; a change not newer than the kept one is
    `unchanged`."""
    outcomes: list[Outcome] = []
    valid: dict[str, tuple[int, dict[str, Any]]] = {}
    now = clock.now()
    for index, item in enumerate(items):
        data = _snake(item) if camel and isinstance(item, dict) else item
        checked = check(data)
        if isinstance(checked, list):
            sku = str(data.get("product_id", ""))[:100] if isinstance(data, dict) else ""
            outcomes.append(Outcome(index, sku, "rejected", checked))
            continue
        checked.setdefault("changed_at", now)
        valid[checked["product_id"]] = (index, checked)  # the last of a repeated id wins
    with transaction.atomic():
        kept = {p.sku: p for p in Product.objects.select_for_update().filter(sku__in=valid)}
        for sku, (index, data) in valid.items():
            outcomes.append(Outcome(index, sku, _apply(kept.get(sku), sku, data)))
    return sorted(outcomes, key=lambda o: o.index)


def _snake(item: dict[str, Any]) -> dict[str, Any]:
    """An event's camelCase properties as the API's fields (attributes left as given)."""
    return {**underscoreize({k: v for k, v in item.items() if k != "attributes"}),
            **({"attributes": item["attributes"]} if "attributes" in item else {})}  # fmt: skip


def _apply(product: Product | None, sku: str, data: dict[str, Any]) -> str:
    changed_at: datetime = data["changed_at"]
    values = {name: data[name] for name in FIELDS if name in data}
    if product is None:
        Product.objects.create(sku=sku, changed_at=changed_at, **values)
        return "created"
    if changed_at <= product.changed_at:
        return "unchanged"
    for name, value in values.items():
        setattr(product, name, value)
    product.changed_at = changed_at
    product.save()
    return "updated"


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"\w+", text.casefold()) if w not in STOPWORDS}


def find(text: str) -> Product | None:
    """The product a message names: the one whose name's words it holds most of (at
    least two thirds of them; a longer name wins a tie)."""
    said = _words(text)
    if not said:
        return None
    best: tuple[float, int, int] | None = None
    for pk, name in Product.objects.values_list("pk", "name")[:5000]:
        words = _words(name)
        share = len(words & said) / len(words) if words else 0
        if share >= 2 / 3 and (best is None or (share, len(words)) > best[:2]):
            best = (share, len(words), pk)
    return Product.objects.get(pk=best[2]) if best else None


def describe(product: Product) -> str:
    parts = [f"{product.name}: {product.description}".rstrip(": ").rstrip(".") + "."]
    if product.price is not None:
        parts.append(f"It costs {product.price} {product.currency}".rstrip() + ".")
    parts.append("It is in stock." if product.in_stock else "It is out of stock right now.")
    if product.url:
        parts.append(f"More: {product.url}")
    return " ".join(parts)


def overview(limit: int = 5) -> str:
    """A few products in stock, to choose from."""
    names = list(Product.objects.filter(in_stock=True).order_by("name")
                 .values_list("name", flat=True)[:limit])  # fmt: skip
    if not names:
        return ""
    more = Product.objects.filter(in_stock=True).count() - len(names)
    listed = ", ".join(names) + (f" and {more} more" if more > 0 else "")
    return f"We have {listed}. Which one would you like to know about?"
