from django.db import migrations, models
from django.utils.text import slugify


def fill_slugs(apps, schema_editor):
    """Existing prompts were named by slug already: the slug is the name."""
    AIPrompt = apps.get_model("ai_content", "AIPrompt")
    for prompt in AIPrompt.objects.all():
        prompt.slug = slugify(prompt.name)[:120] or f"prompt-{prompt.pk}"
        prompt.save(update_fields=["slug"])


class Migration(migrations.Migration):
    dependencies = [
        ("ai_content", "0002_images"),
    ]

    operations = [
        migrations.AddField(
            model_name="aiprompt",
            name="slug",
            field=models.SlugField(blank=True, db_index=False, default="", max_length=120),
            preserve_default=False,
        ),
        migrations.RunPython(fill_slugs, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="aiprompt",
            name="slug",
            field=models.SlugField(
                blank=True,
                help_text="Derived from the name (unique); API callers may use it as promptId.",
                max_length=120,
                unique=True,
            ),
        ),
        migrations.AlterField(
            model_name="aiprompt",
            name="category",
            field=models.CharField(
                choices=[
                    ("marketing", "Marketing"),
                    ("product", "Product copy"),
                    ("email", "Email"),
                    ("social", "Social media"),
                    ("blog", "Blog"),
                    ("ad", "Advertising"),
                    ("other", "Other"),
                ],
                default="other",
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="aiprompt",
            name="name",
            field=models.CharField(
                help_text='A title ("Product announcement") or a key ("blog-outline").',
                max_length=200,
            ),
        ),
    ]
