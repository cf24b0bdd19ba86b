"""Prompt templates the back office itself uses (beside the seed's, which the demo loads):
installed after every migrate when missing, edits kept."""

from __future__ import annotations

from ai_content.models import AIPrompt, PromptCategory
from ai_content.services import save_prompt
from benchbarrier.services.audit import Actor

REPORT_SUMMARY = """
Write a short summary, for the shop's team, of the report "{{report}}" for {{period}}.
In three sentences at most, plain text: say what changed most against the previous period
and why it may matter. Use only the figures below; do not invent numbers or causes.

{{figures}}
"""

SHIPPED = [
    {
        "name": "report-summary",
        "description": "The short written summary that opens an emailed analytics report.",
        "category": PromptCategory.MARKETING,
        "template": REPORT_SUMMARY,
        "variables": ["report", "period", "figures"],
        "max_tokens": 200,
        "temperature": 0.3,
    },
]


def install_shipped_prompts() -> list[str]:
    made = []
    for shipped in SHIPPED:
        if not AIPrompt.objects.filter(slug=shipped["name"]).exists():
            save_prompt(prompt=AIPrompt(**shipped), actor=Actor.system("install"))
            made.append(shipped["name"])
    return made
