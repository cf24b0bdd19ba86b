"""The price table as OpenAI published it (standard tier, USD) and the seed's monthly
`budgetLimits`. Both are edited in the admin afterwards; this only fills empty tables.
The monthly totals start from the ledger as it is."""

from datetime import date
from decimal import Decimal

from django.db import migrations

PUBLISHED = date(2025, 8, 7)
# model: (input, cached input, output) per 1M tokens, or per image
TOKEN_PRICES = {
    "gpt-5": ("1.25", "0.125", "10.00"),
    "gpt-5-mini": ("0.25", "0.025", "2.00"),
    "gpt-5-nano": ("0.05", "0.005", "0.40"),
    "gpt-4.1": ("2.00", "0.50", "8.00"),
    "gpt-4.1-mini": ("0.40", "0.10", "1.60"),
    "gpt-4.1-nano": ("0.10", "0.025", "0.40"),
    "gpt-4o": ("2.50", "1.25", "10.00"),
    "gpt-4o-mini": ("0.15", "0.075", "0.60"),
    "o4-mini": ("1.10", "0.275", "4.40"),
}
IMAGE_PRICES = {"dall-e-3": "0.04", "gpt-image-1": "0.042"}  # 1024x1024, standard/medium
BUDGETS = {"openai": "500", "email": "100", "sms": "50", "": "1000"}


def backfill_totals(apps):
    from django.db.models import Sum
    from django.db.models.functions import TruncMonth

    SpendEntry = apps.get_model("benchbarrier", "SpendEntry")
    MonthlySpend = apps.get_model("benchbarrier", "MonthlySpend")
    rows = (
        SpendEntry.objects.filter(cost__isnull=False)
        .annotate(first=TruncMonth("created_at"))
        .values("service", "first")
        .annotate(total=Sum("cost"))
    )
    MonthlySpend.objects.bulk_create(
        [MonthlySpend(service=r["service"], month=r["first"].date(), total=r["total"]) for r in rows]
    )


def seed(apps, schema_editor):
    backfill_totals(apps)
    ModelPrice = apps.get_model("benchbarrier", "ModelPrice")
    Budget = apps.get_model("benchbarrier", "Budget")
    if not ModelPrice.objects.exists():
        ModelPrice.objects.bulk_create(
            [
                ModelPrice(
                    model=model,
                    input_per_million=Decimal(inp),
                    cached_input_per_million=Decimal(cached),
                    output_per_million=Decimal(out),
                    published_on=PUBLISHED,
                )
                for model, (inp, cached, out) in TOKEN_PRICES.items()
            ]
            + [
                ModelPrice(model=model, per_image=Decimal(price), published_on=PUBLISHED)
                for model, price in IMAGE_PRICES.items()
            ]
        )
    if not Budget.objects.exists():
        Budget.objects.bulk_create(
            [Budget(service=service, monthly_limit=Decimal(limit)) for service, limit in BUDGETS.items()]
        )


class Migration(migrations.Migration):
    dependencies = [("benchbarrier", "0003_prices_budgets_notifications")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
