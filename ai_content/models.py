"""The seed's `ai_prompts` (templates, versioned) and `ai_generations` (every generation
with its cost, quality score and feedback)."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from benchbarrier import clock


class PromptCategory(models.TextChoices):
    MARKETING = "marketing", "Marketing"
    PRODUCT = "product", "Product copy"
    EMAIL = "email", "Email"
    SOCIAL = "social", "Social media"
    BLOG = "blog", "Blog"
    AD = "ad", "Advertising"
    OTHER = "other", "Other"


class AIPrompt(models.Model):
    """A prompt template with `{{variables}}`. Editing it (through
    `ai_content.services.save_prompt`) adds a version; generations keep the version
    they used."""

    name = models.CharField(
        max_length=200,
        help_text='A title ("Product announcement") or a key ("blog-outline").',
    )
    slug = models.SlugField(
        max_length=120, unique=True, blank=True,
        help_text="Derived from the name (unique); API callers may use it as promptId.",
    )  # fmt: skip
    description = models.TextField(blank=True)
    category = models.CharField(
        max_length=20, choices=PromptCategory.choices, default=PromptCategory.OTHER
    )
    template = models.TextField(help_text="The prompt, with {{variable}} placeholders.")
    variables = models.JSONField(default=list, blank=True, help_text="Names it needs.")
    model = models.CharField(max_length=100, default="gpt-4o-mini")
    temperature = models.FloatField(
        default=0.7, validators=[MinValueValidator(0), MaxValueValidator(2)]
    )
    max_tokens = models.PositiveIntegerField(
        default=500, validators=[MinValueValidator(1), MaxValueValidator(16000)]
    )
    max_length = models.PositiveIntegerField(
        null=True, blank=True, help_text="Characters the output should fit (quality score)."
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        db_table = "ai_prompts"
        ordering = ["name"]
        verbose_name = "prompt template"

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class AIPromptVersion(models.Model):
    """A prompt as it was at one version (the current one included)."""

    prompt = models.ForeignKey(AIPrompt, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    template = models.TextField()
    variables = models.JSONField(default=list)
    model = models.CharField(max_length=100)
    temperature = models.FloatField()
    max_tokens = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        db_table = "ai_prompt_versions"
        ordering = ["prompt", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["prompt", "version"], name="ai_prompt_version_once")
        ]

    def __str__(self) -> str:
        return f"{self.prompt.name} v{self.version}"


class AIGeneration(models.Model):
    """One piece of generated content: what was asked, what came back, what it cost."""

    prompt = models.ForeignKey(
        AIPrompt, null=True, blank=True, on_delete=models.SET_NULL, related_name="generations"
    )
    prompt_version = models.PositiveIntegerField(null=True, blank=True)
    operation = models.CharField(max_length=20, default="generate", help_text="generate, "
                                 "variation, optimize")  # fmt: skip
    input_prompt = models.TextField(help_text="The rendered prompt sent to the model.")
    variables = models.JSONField(default=dict, blank=True)
    content = models.TextField()
    model = models.CharField(max_length=100)
    temperature = models.FloatField()
    max_tokens = models.PositiveIntegerField()
    input_tokens = models.PositiveIntegerField(default=0)
    cached_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    tokens_used = models.PositiveIntegerField(default=0)
    cost = models.DecimalField(
        max_digits=12, decimal_places=6, null=True, blank=True, help_text="Empty: unknown."
    )
    cache_hit = models.BooleanField(default=False)
    quality_score = models.FloatField(null=True, blank=True)
    suggestions = models.JSONField(default=list, blank=True)
    was_used = models.BooleanField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    job_id = models.UUIDField(
        null=True, blank=True, db_index=True, help_text="The content.generate job, if any."
    )
    item_key = models.CharField(max_length=200, blank=True, help_text="The job item's key.")
    created_at = models.DateTimeField(default=clock.now, db_index=True)

    class Meta:
        verbose_name = "AI generation"
        db_table = "ai_generations"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"generation {self.pk} ({self.model})"


class ImageSource(models.TextChoices):
    GENERATED = "generated", "Generated"
    UPLOADED = "uploaded", "Uploaded"


class ImageStatus(models.TextChoices):
    PROCESSING = "processing", "Processing"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class ImageAsset(models.Model):
    """An image, generated or uploaded (a product photo), and the web-ready WebP
    variants `image.process` made of it."""

    source = models.CharField(max_length=10, choices=ImageSource.choices)
    original = models.FileField(upload_to="images/originals/%Y/%m/")
    original_bytes = models.PositiveIntegerField(default=0)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    prompt = models.TextField(blank=True, help_text="For generated images.")
    model = models.CharField(max_length=100, blank=True)
    cost = models.DecimalField(max_digits=12, decimal_places=6, null=True, blank=True)
    label = models.CharField(max_length=200, blank=True, help_text="e.g. the product's SKU.")
    status = models.CharField(
        max_length=12, choices=ImageStatus.choices, default=ImageStatus.PROCESSING
    )
    variants = models.JSONField(
        default=list, blank=True, help_text='[{"width", "height", "bytes", "name"}]'
    )
    processed_bytes = models.PositiveIntegerField(null=True, blank=True)
    social_jpeg = models.CharField(
        max_length=300, blank=True, help_text="A JPEG for social platforms (they take no WebP)."
    )
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=clock.now, db_index=True)

    class Meta:
        verbose_name = "image"
        db_table = "ai_images"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.label or f"image {self.pk}"

    @property
    def reduction(self) -> float | None:
        """How much smaller the largest variant is than the original (0-1)."""
        if not self.original_bytes or not self.variants:
            return None
        largest = max(variant["bytes"] for variant in self.variants)
        return round(1 - largest / self.original_bytes, 3)
