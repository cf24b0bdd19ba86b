from __future__ import annotations

from django.db import models

from benchbarrier import clock


class Product(models.Model):
    """A product of the shop's catalogue, kept in sync by the shop (`POST
    /api/marketing/products`, or `product.updated` events); the support bot describes it
    and the AI answers from it. A change older than the one kept is ignored."""

    sku = models.CharField("product id", max_length=100, unique=True)
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    category = models.CharField(max_length=100, blank=True, db_index=True)
    price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    url = models.URLField(max_length=500, blank=True)
    image_url = models.URLField(max_length=500, blank=True)
    in_stock = models.BooleanField(default=True)
    attributes = models.JSONField(default=dict, blank=True, help_text="Size, colour, material...")
    changed_at = models.DateTimeField(default=clock.now, help_text="Of the newest change kept.")

    class Meta:
        db_table = "marketing_products"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
