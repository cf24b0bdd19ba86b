from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AiContentConfig(AppConfig):
    """Prompt templates, generations, variations and image processing."""

    name = "ai_content"
    verbose_name = "AI content"

    def ready(self) -> None:
        from benchbarrier.media import register_image_resolver
        from benchbarrier.writers import register_writer

        register_writer(_write)
        register_image_resolver(_social_image)
        post_migrate.connect(_install_prompts, sender=self)


def _install_prompts(**kwargs: object) -> None:
    from ai_content.shipped import install_shipped_prompts

    install_shipped_prompts()


def _social_image(image_id: int) -> str:
    """The public URL of an image asset's JPEG for social platforms."""
    from django.conf import settings
    from django.core.files.storage import default_storage

    from ai_content.models import ImageAsset
    from benchbarrier.media import ImageUnavailable

    asset = ImageAsset.objects.filter(pk=image_id).first()
    if asset is None:
        raise ImageUnavailable(f"no image {image_id}")
    if not asset.social_jpeg:
        raise ImageUnavailable(f"image {image_id} is {asset.status}, not ready yet")
    url = default_storage.url(asset.social_jpeg)
    return url if "://" in url else settings.SITE_URL.rstrip("/") + "/" + url.lstrip("/")


def _write(slug: str, variables: dict) -> str:
    """Run a prompt template by its slug; every failure is a WriterUnavailable saying why."""
    from ai_content import services
    from ai_content.models import AIPrompt
    from ai_content.prompting import VariableError
    from ai_content.provider import ProviderError
    from benchbarrier.services.spend import BudgetExceeded
    from benchbarrier.writers import WriterUnavailable

    prompt = AIPrompt.objects.filter(slug=slug).first()
    if prompt is None:
        raise WriterUnavailable(f'no prompt template "{slug}"')
    try:
        request = services.build_request(prompt=prompt, variables=variables)
        (generation,) = services.generate(request, operation="write")
    except (VariableError, ProviderError, BudgetExceeded) as exc:
        raise WriterUnavailable(str(exc)) from None
    return generation.content
