"""The seed's other cost services in the price table: Anthropic's models (per 1M
tokens) and Stability AI's image models (per image), as they published them; the
`total` budget counts them. Edited in the admin afterwards; rows already there stay."""

from datetime import date
from decimal import Decimal

from django.db import migrations

PUBLISHED = date(2025, 8, 7)
ANTHROPIC = {  # model: (input, cached input, output) per 1M tokens
    "claude-opus-4-1": ("15.00", "1.50", "75.00"),
    "claude-sonnet-4-0": ("3.00", "0.30", "15.00"),
    "claude-3-5-haiku-latest": ("0.80", "0.08", "4.00"),
}
STABILITY = {"stable-image-ultra": "0.08", "sd3.5-large": "0.065", "stable-image-core": "0.03"}


def seed(apps, schema_editor):
    ModelPrice = apps.get_model("benchbarrier", "ModelPrice")
    known = set(ModelPrice.objects.values_list("model", flat=True))
    rows = [
        ModelPrice(model=model, service="anthropic", input_per_million=Decimal(inp),
                   cached_input_per_million=Decimal(cached), output_per_million=Decimal(out),
                   published_on=PUBLISHED)
        for model, (inp, cached, out) in ANTHROPIC.items() if model not in known
    ] + [
        ModelPrice(model=model, service="stability", per_image=Decimal(price),
                   published_on=PUBLISHED)
        for model, price in STABILITY.items() if model not in known
    ]  # fmt: skip
    ModelPrice.objects.bulk_create(rows)


class Migration(migrations.Migration):
    dependencies = [("benchbarrier", "0006_spend_services")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
