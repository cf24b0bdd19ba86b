"""The seed's three prompt templates, for `make run`."""

from __future__ import annotations

from collections.abc import Callable

from ai_content.models import AIPrompt
from ai_content.services import save_prompt
from benchbarrier.demo import demo_loader
from benchbarrier.services.audit import Actor

SEED_PROMPTS = [
    {
        "name": "product-announcement",
        "description": "Launch copy for a new product, for the shop and its newsletter.",
        "category": "product",
        "template": (
            "Write a short announcement (under 120 words) of our new product "
            "{{product_name}} for {{target_audience}}. Key features: {{features}}. "
            "Tone: {{tone}}. End with a call to action."
        ),
        "temperature": 0.7,
        "max_tokens": 300,
    },
    {
        "name": "email-subject-line",
        "description": "A subject line for a campaign email.",
        "category": "email",
        "template": (
            "Write one email subject line for a campaign about {{campaign_topic}} aimed "
            "at {{audience}}. At most 60 characters, no clickbait, no emoji."
        ),
        "temperature": 0.8,
        "max_tokens": 40,
        "max_length": 60,
    },
    {
        "name": "blog-outline",
        "description": "An outline for a blog post: title, sections, key points.",
        "category": "blog",
        "template": (
            "Outline a blog post about {{topic}} for {{audience}}, about {{word_count}} "
            "words long: a title, 4-6 section headings, and two key points under each."
        ),
        "temperature": 0.6,
        "max_tokens": 600,
    },
]


@demo_loader("ai_content: the seed's prompt templates")
def load(out: Callable[[str], None]) -> None:
    for seed in SEED_PROMPTS:
        if not AIPrompt.objects.filter(name=seed["name"]).exists():
            save_prompt(prompt=AIPrompt(**seed), actor=Actor.system("demo"))
    out(f"{len(SEED_PROMPTS)} prompt templates")
