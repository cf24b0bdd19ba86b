"""AI content in the admin: prompt templates (versioned) with a playground to try them,
and the generations with their cost and quality score."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from ai_content import prompting, provider, services
from ai_content.models import AIGeneration, AIPrompt, AIPromptVersion, ImageAsset
from benchbarrier.dashboard import place
from benchbarrier.services.audit import Actor
from benchbarrier.services.prices import PriceUnknown
from benchbarrier.services.spend import BudgetExceeded


class PromptForm(forms.ModelForm):
    variables = forms.JSONField(
        required=False,
        help_text='Names the template needs, e.g. ["product_name", "tone"]; empty: taken '
        "from its {{placeholders}}.",
    )

    class Meta:
        model = AIPrompt
        fields = ["name", "description", "category", "template", "variables", "model",
                  "temperature", "max_tokens", "max_length", "is_active"]  # fmt: skip

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        template, variables = data.get("template") or "", data.get("variables") or []
        found = prompting.placeholders(template)
        if variables and sorted(variables) != sorted(found):
            self.add_error(
                "variables",
                f"List exactly the template's placeholders: {', '.join(found) or 'none'}.",
            )
        return data


class VersionInline(admin.TabularInline):
    model = AIPromptVersion
    extra = 0
    can_delete = False
    fields = ["version", "template", "variables", "model", "temperature", "max_tokens",
              "created_at"]  # fmt: skip
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(AIPrompt)
class AIPromptAdmin(admin.ModelAdmin):
    form = PromptForm
    list_display = ["name", "category", "model", "version", "variables_display",
                    "generation_count", "is_active", "playground_link"]  # fmt: skip
    list_filter = ["category", "model", "is_active"]
    search_fields = ["name", "description", "template"]
    inlines = [VersionInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[AIPrompt]:
        return super().get_queryset(request).annotate(generation_total=Count("generations"))

    @admin.display(description="variables")
    def variables_display(self, prompt: AIPrompt) -> str:
        return ", ".join(prompt.variables)

    @admin.display(description="generations", ordering="generation_total")
    def generation_count(self, prompt: AIPrompt) -> int:
        return prompt.generation_total

    @admin.display(description="")
    def playground_link(self, prompt: AIPrompt) -> str:
        from django.utils.html import format_html

        url = reverse("admin:ai_content_aiprompt_playground") + f"?prompt={prompt.pk}"
        return format_html('<a href="{}">Try it</a>', url)

    def save_model(self, request: HttpRequest, obj: AIPrompt, form: Any, change: bool) -> None:
        services.save_prompt(prompt=obj, actor=Actor.from_request(request), request=request)

    def get_urls(self) -> list:
        view = self.admin_site.admin_view(self.playground_view)
        return [path("playground/", view, name="ai_content_aiprompt_playground"),
                *super().get_urls()]  # fmt: skip

    def playground_view(self, request: HttpRequest) -> HttpResponse:
        """Pick a template, fill its variables, see the rendered prompt, run it, see the
        content with its tokens, cost and score, and mark it as used."""
        prompts = AIPrompt.objects.filter(is_active=True).order_by("name")
        chosen = request.POST.get("prompt") or request.GET.get("prompt")
        prompt = get_object_or_404(AIPrompt, pk=chosen) if chosen else prompts.first()
        if request.method == "POST" and "mark_used" in request.POST:
            generation = get_object_or_404(AIGeneration, pk=request.POST["mark_used"])
            actor = Actor.from_request(request)
            services.record_feedback(
                generation=generation, was_used=True, rating=None, actor=actor, request=request
            )
            messages.success(request, f"Generation {generation.pk} marked as used.")
            return HttpResponseRedirect(f"{request.path}?prompt={prompt.pk}")
        values = {
            name: request.POST.get(f"var:{name}", "")
            for name in (prompt.variables if prompt else [])
        }
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "title": "Prompt playground",
            "prompts": prompts,
            "prompt": prompt,
            "values": values,
            "configured": provider.is_configured(),
            "not_configured": provider.NOT_CONFIGURED,
        }
        if request.method == "POST" and prompt is not None:
            try:
                built = services.build_request(prompt=prompt, variables=values)
                context["rendered"] = built.prompt_text
                if "run" in request.POST:
                    (context["generation"],) = services.generate(built)
            except prompting.VariableError as exc:
                context["error"] = str(exc)
            except (provider.ProviderError, BudgetExceeded, PriceUnknown) as exc:
                context["error"] = str(exc)
        return TemplateResponse(request, "admin/ai_content/playground.html", context)


@admin.register(AIGeneration)
class AIGenerationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "prompt", "prompt_version", "operation", "model",
                    "short_content", "tokens_used", "cost_display", "quality_score",
                    "cache_hit", "was_used", "rating"]  # fmt: skip
    list_filter = ["operation", "model", "cache_hit", "was_used", "prompt"]
    search_fields = ["content", "input_prompt"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in AIGeneration._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="content")
    def short_content(self, generation: AIGeneration) -> str:
        text = generation.content
        return text if len(text) <= 80 else text[:79] + "…"

    @admin.display(description="cost", ordering="cost")
    def cost_display(self, generation: AIGeneration) -> str:
        return "unknown" if generation.cost is None else f"{generation.cost.normalize()} USD"


@admin.register(ImageAsset)
class ImageAssetAdmin(admin.ModelAdmin):
    """Generated and uploaded images with their web-ready variants."""

    list_display = ["preview", "label", "source", "status", "size", "original_bytes",
                    "processed_bytes", "reduction_display", "cost", "created_at"]  # fmt: skip
    list_filter = ["source", "status"]
    search_fields = ["label", "prompt"]
    readonly_fields = [f.name for f in ImageAsset._meta.fields] + ["preview"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # upload through the API, or generate; processing makes the variants

    @admin.display(description="")
    def preview(self, asset: ImageAsset) -> str:
        from django.core.files.storage import default_storage
        from django.utils.html import format_html

        if not asset.variants:
            return "-"
        smallest = min(asset.variants, key=lambda variant: variant["width"])
        return format_html('<img src="{}" alt="" style="max-height:60px">',
                           default_storage.url(smallest["name"]))  # fmt: skip

    @admin.display(description="size")
    def size(self, asset: ImageAsset) -> str:
        return f"{asset.width}x{asset.height}"

    @admin.display(description="smaller by")
    def reduction_display(self, asset: ImageAsset) -> str:
        return "-" if asset.reduction is None else f"{asset.reduction:.0%}"


place("Content", AIPrompt, AIGeneration, ImageAsset)
