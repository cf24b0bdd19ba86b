from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ai_content.models import AIGeneration, AIPrompt, AIPromptVersion, ImageAsset, PromptCategory
from benchbarrier.api import serializers as base
from benchbarrier.api.fields import UsdField


@extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string"}]})
class PromptRefField(serializers.Field):
    """A prompt template by id (`3`, `"3"`) or by slug (`"product-announcement"`): the
    seed types `promptId` as a string."""

    default_error_messages = {"unknown": 'no active prompt template "{value}"'}

    def to_internal_value(self, data: Any) -> AIPrompt:
        active = AIPrompt.objects.filter(is_active=True)
        text = str(data).strip()
        found = active.filter(pk=int(text)).first() if text.isdigit() else None
        found = found or active.filter(slug=text).first()
        if found is None:
            self.fail("unknown", value=text[:100])
        return found

    def to_representation(self, value: AIPrompt) -> int:
        return value.pk


class GenerateContentSerializer(base.Serializer):
    prompt_id = PromptRefField(
        required=False, allow_null=True,
        help_text="A prompt template by id or slug; or send customPrompt.",
    )  # fmt: skip
    custom_prompt = serializers.CharField(required=False, allow_blank=False, max_length=20_000)
    variables = serializers.DictField(required=False, default=dict)
    model = serializers.CharField(required=False, max_length=100)
    temperature = serializers.FloatField(required=False, min_value=0, max_value=2)
    max_tokens = serializers.IntegerField(required=False, min_value=1, max_value=16_000)
    category = serializers.ChoiceField(choices=PromptCategory.choices, required=False)
    max_length = serializers.IntegerField(
        required=False, min_value=10, max_value=100_000, help_text="Characters to fit."
    )
    cache = serializers.BooleanField(
        required=False, default=False,
        help_text="Answer an identical request from cache (always on at temperature 0).",
    )  # fmt: skip

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        has_prompt = attrs.get("prompt_id") is not None
        if has_prompt == bool(attrs.get("custom_prompt")):
            raise serializers.ValidationError(
                {"prompt_id": "Send either promptId (a template) or customPrompt, not both."}
            )
        return attrs


class VariationsSerializer(GenerateContentSerializer):
    count = serializers.IntegerField(min_value=1, max_value=10, default=3)


class OptimizeSerializer(base.Serializer):
    content = serializers.CharField(max_length=20_000)
    goal = serializers.CharField(
        max_length=300, help_text='e.g. "more urgency", "fit 280 characters"'
    )
    category = serializers.ChoiceField(choices=PromptCategory.choices, default="other")
    model = serializers.CharField(required=False, max_length=100)


class GenerationResultSerializer(serializers.Serializer):
    """The seed's GenerateContentResponse plus what we know about it."""

    content = serializers.CharField()
    tokens_used = serializers.IntegerField()
    cost = UsdField()
    suggestions = serializers.ListField(child=serializers.CharField())
    generation_id = serializers.IntegerField(source="id")
    quality_score = serializers.FloatField()
    model = serializers.CharField()
    cache_hit = serializers.BooleanField()
    prompt_version = serializers.IntegerField(allow_null=True)


class VariationsResultSerializer(serializers.Serializer):
    variations = GenerationResultSerializer(many=True)
    tokens_used = serializers.IntegerField()
    cost = UsdField()


class ScoreSerializer(serializers.Serializer):
    score = serializers.FloatField()
    suggestions = serializers.ListField(child=serializers.CharField())


class OptimizeResultSerializer(serializers.Serializer):
    content = serializers.CharField()
    before = ScoreSerializer()
    after = ScoreSerializer()
    generation_id = serializers.IntegerField()
    tokens_used = serializers.IntegerField()
    cost = UsdField()


class PromptVersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = AIPromptVersion
        fields = ["version", "template", "variables", "model", "temperature", "max_tokens",
                  "created_at"]  # fmt: skip


class PromptSerializer(base.ModelSerializer):
    variables = serializers.ListField(
        child=serializers.RegexField(r"^[A-Za-z_][A-Za-z0-9_]*$"), required=False,
        help_text="Defaults to the template's {{placeholders}}.",
    )  # fmt: skip

    class Meta:
        model = AIPrompt
        fields = ["id", "name", "slug", "description", "category", "template", "variables",
                  "model", "temperature", "max_tokens", "max_length", "version", "is_active",
                  "created_at", "updated_at"]  # fmt: skip
        read_only_fields = ["id", "slug", "version", "created_at", "updated_at"]


class PromptDetailSerializer(PromptSerializer):
    versions = PromptVersionSerializer(many=True, read_only=True)

    class Meta(PromptSerializer.Meta):
        fields = [*PromptSerializer.Meta.fields, "versions"]


class GenerationSerializer(serializers.ModelSerializer):
    cost = UsdField(read_only=True)

    class Meta:
        model = AIGeneration
        fields = ["id", "prompt", "prompt_version", "operation", "input_prompt", "variables",
                  "content", "model", "temperature", "max_tokens", "input_tokens",
                  "cached_tokens", "output_tokens", "tokens_used", "cost", "cache_hit",
                  "quality_score", "suggestions", "was_used", "rating", "job_id", "item_key",
                  "created_at"]  # fmt: skip
        read_only_fields = fields


class FeedbackSerializer(base.Serializer):
    was_used = serializers.BooleanField(required=False, allow_null=True, default=None)
    rating = serializers.IntegerField(required=False, allow_null=True, default=None,
                                      min_value=1, max_value=5)  # fmt: skip

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["was_used"] is None and attrs["rating"] is None:
            raise serializers.ValidationError("Send wasUsed, rating or both.")
        return attrs


IMAGE_SIZES = ["1024x1024", "1024x1536", "1536x1024", "1792x1024", "1024x1792", "512x512",
               "256x256"]  # fmt: skip


class GenerateImageSerializer(base.Serializer):
    prompt = serializers.CharField(max_length=4000)
    size = serializers.ChoiceField(choices=IMAGE_SIZES, default="1024x1024")
    model = serializers.CharField(required=False, max_length=100)
    label = serializers.CharField(required=False, default="", allow_blank=True, max_length=200)


class UploadImageSerializer(base.Serializer):
    file = serializers.FileField(help_text="A product photo: JPEG, PNG, WebP...")
    label = serializers.CharField(required=False, default="", allow_blank=True, max_length=200)


class ImageSerializer(serializers.ModelSerializer):
    original_url = serializers.SerializerMethodField()
    variants = serializers.SerializerMethodField()
    reduction = serializers.FloatField(read_only=True, allow_null=True)
    cost = UsdField(read_only=True)

    class Meta:
        model = ImageAsset
        fields = ["id", "source", "label", "status", "width", "height", "original_url",
                  "original_bytes", "variants", "processed_bytes", "reduction", "prompt",
                  "model", "cost", "error", "created_at"]  # fmt: skip
        read_only_fields = fields

    def get_original_url(self, asset: ImageAsset) -> str:
        return _absolute(asset.original.url)

    def get_variants(self, asset: ImageAsset) -> list[dict[str, Any]]:
        return [
            {"width": v["width"], "height": v["height"], "bytes": v["bytes"],
             "url": _absolute(default_storage.url(v["name"]))}
            for v in asset.variants
        ]  # fmt: skip


def _absolute(url: str) -> str:
    return url if "://" in url else settings.SITE_URL.rstrip("/") + "/" + url.lstrip("/")
