from __future__ import annotations

from django.apps import AppConfig


class AiContentConfig(AppConfig):
    """Prompt templates, generations, variations and image processing."""

    name = "ai_content"
    verbose_name = "AI content"
