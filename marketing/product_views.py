"""`/api/marketing/products` (scope `marketing`): the shop keeps its catalogue in sync, up
to 1,000 products a request, each created, updated, unchanged or rejected on its own."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from benchbarrier.api import serializers as base
from benchbarrier.models import Scope
from marketing.models import Product
from marketing.services import products


class ProductSerializer(base.ModelSerializer):
    product_id = serializers.CharField(source="sku")

    class Meta:
        model = Product
        fields = ["product_id", "name", "description", "category", "price", "currency", "url",
                  "image_url", "in_stock", "attributes", "changed_at"]  # fmt: skip


BulkInput = inline_serializer("ProductBulkInput", {
    "products": products.ProductInputSerializer(many=True),
})  # fmt: skip
BulkResult = inline_serializer("ProductBulkResult", {
    "created": serializers.IntegerField(), "updated": serializers.IntegerField(),
    "unchanged": serializers.IntegerField(), "rejected": serializers.IntegerField(),
    "results": inline_serializer("ProductOutcome", {
        "index": serializers.IntegerField(), "productId": serializers.CharField(),
        "status": serializers.ChoiceField(["created", "updated", "unchanged", "rejected"]),
        "errors": base.ErrorItemSerializer(many=True),
    }, many=True),
})  # fmt: skip


class ProductViewSet(viewsets.ReadOnlyModelViewSet):
    """The catalogue the bot and the AI answer from; POST upserts a batch."""

    required_scope = Scope.MARKETING
    queryset = Product.objects.all().order_by("name", "id")
    serializer_class = ProductSerializer
    lookup_field = "sku"
    filterset_fields = ["category", "in_stock"]
    search_fields = ["name", "=sku"]

    @extend_schema(request=BulkInput, responses={200: BulkResult})
    def create(self, request: Request) -> Response:
        """Create or update up to 1,000 products by `productId`; a change older than
        `changedAt` of the one kept is `unchanged`. 400 when none could be stored."""
        items = _items(request.data)
        outcomes = products.upsert_products(items)
        count = lambda status: sum(1 for o in outcomes if o.status == status)  # noqa: E731
        if count("rejected") == len(outcomes):
            raise ValidationError({"products": {o.index: {e["field"]: [e["message"]]
                                   for e in o.errors} for o in outcomes}})  # fmt: skip
        return Response({
            **{status: count(status) for status in ("created", "updated", "unchanged",
                                                    "rejected")},
            "results": [{"index": o.index, "productId": o.product_id, "status": o.status,
                         "errors": o.errors} for o in outcomes],
        })  # fmt: skip


def _items(data: Any) -> list[Any]:
    items = data.get("products") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise ValidationError({"products": ["A non-empty list of products."]})
    if len(items) > products.MAX_BATCH:
        raise ValidationError({"products": [f"At most {products.MAX_BATCH} products."]})
    return items
