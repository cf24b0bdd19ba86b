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

BOT_ANSWER = """
You answer a customer of the shop in its support chat. Use only the facts below (the
shop's answers to common questions and its catalogue); never make up prices, policies,
products, order numbers, order statuses or tracking. If the facts do not answer the
question, or it is about a particular order, reply with exactly NO_ANSWER.
Answer in at most three short sentences, in the customer's language, plain text.

Facts:
{{facts}}

Customer: {{question}}
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
    {
        "name": "bot-answer",
        "description": "The support bot's answer to a question its intents do not cover, "
        "grounded on the shop's FAQ (the intents' responses) and catalogue.",
        "category": PromptCategory.OTHER,
        "template": BOT_ANSWER,
        "variables": ["facts", "question"],
        "max_tokens": 160,
        "temperature": 0.2,
    },
]


def install_shipped_prompts() -> list[str]:
    made = []
    for shipped in SHIPPED:
        if not AIPrompt.objects.filter(slug=shipped["name"]).exists():
            save_prompt(prompt=AIPrompt(**shipped), actor=Actor.system("install"))
            made.append(shipped["name"])
    return made
