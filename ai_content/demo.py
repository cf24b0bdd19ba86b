"""The seed's three prompt templates, with the seed's text and variables exactly as it
writes them, for `make run` (and for the tests that generate from them)."""

from __future__ import annotations

from collections.abc import Callable

from ai_content.models import AIPrompt
from ai_content.services import save_prompt
from benchbarrier.demo import demo_loader
from benchbarrier.services.audit import Actor

PRODUCT_ANNOUNCEMENT = """
Create an engaging social media post announcing our new product: {{product_name}}.

Product details:
- Price: {{price}}
- Key features: {{features}}
- Target audience: {{audience}}

Tone: {{tone}}
Platform: {{platform}}

Include:
- Attention-grabbing opening
- Key benefits
- Call to action
- Relevant hashtags

Maximum length: {{max_length}} characters
"""

EMAIL_SUBJECT_LINE = """
Generate 5 compelling email subject lines for: {{email_purpose}}

Target audience: {{audience}}
Tone: {{tone}}
Goal: {{goal}}

Requirements:
- Maximum 60 characters
- Include power words
- Create urgency or curiosity
- Avoid spam triggers
"""

BLOG_OUTLINE = """
Create a detailed blog post outline for: {{topic}}

Target keywords: {{keywords}}
Word count: {{word_count}}
Audience level: {{audience_level}}

Include:
- Engaging title
- Introduction hook
- 5-7 main sections with subsections
- Conclusion with call to action
- Meta description (160 characters)
"""

SEED_PROMPTS = [
    {
        "name": "product-announcement",
        "description": "An engaging social media post announcing a new product.",
        "category": "social",
        "template": PRODUCT_ANNOUNCEMENT,
        "variables": ["product_name", "price", "features", "audience", "tone", "platform",
                      "max_length"],
    },
    {
        "name": "email-subject-line",
        "description": "Five compelling email subject lines.",
        "category": "email",
        "template": EMAIL_SUBJECT_LINE,
        "variables": ["email_purpose", "audience", "tone", "goal"],
    },
    {
        "name": "blog-outline",
        "description": "A detailed blog post outline with a meta description.",
        "category": "marketing",
        "template": BLOG_OUTLINE,
        "variables": ["topic", "keywords", "word_count", "audience_level"],
        "max_tokens": 800,
    },
]  # fmt: skip


@demo_loader("ai_content: the seed's prompt templates")
def load(out: Callable[[str], None]) -> None:
    for seed in SEED_PROMPTS:
        if not AIPrompt.objects.filter(slug=seed["name"]).exists():
            save_prompt(prompt=AIPrompt(**seed), actor=Actor.system("demo"))
    out(f"{len(SEED_PROMPTS)} prompt templates")
