from __future__ import annotations

from django.urls import re_path

from ai_content.views import (
    GenerateContentView,
    GenerateImageView,
    GenerateVariationsView,
    GenerationViewSet,
    ImageViewSet,
    OptimizeView,
    PromptViewSet,
)
from benchbarrier.api.urls import Router

router = Router()
router.register("prompts", PromptViewSet, basename="ai-prompt")
router.register("generations", GenerationViewSet, basename="ai-generation")
router.register("images", ImageViewSet, basename="ai-image")

urlpatterns = [
    re_path(r"^generate/content/?$", GenerateContentView.as_view(), name="ai-generate-content"),
    re_path(
        r"^generate/variations/?$", GenerateVariationsView.as_view(), name="ai-generate-variations"
    ),
    re_path(r"^optimize/?$", OptimizeView.as_view(), name="ai-optimize"),
    re_path(r"^generate/image/?$", GenerateImageView.as_view(), name="ai-generate-image"),
    *router.urls,
]
