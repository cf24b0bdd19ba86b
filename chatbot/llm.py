"""Questions the intents do not cover, answered by the AI when a provider is configured
(through ai_content's `bot-answer` prompt: costs in the ledger, budgets honoured),
grounded only on the shop's FAQ (the intents' descriptions and responses) and catalogue.
It must not invent order data: an answer that names an order number the customer did not
give, or says it cannot answer (NO_ANSWER), is dropped and the bot asks to rephrase."""

from __future__ import annotations

import logging
import re

from django.conf import settings

from benchbarrier.writers import WriterUnavailable, write
from chatbot.models import BotIntent
from marketing.models import Product

logger = logging.getLogger(__name__)
PROMPT = "bot-answer"
NO_ANSWER = "NO_ANSWER"
SKIPPED = {"greeting", "talk_to_person", "thanks", "goodbye"}


def facts(limit: int = 50) -> str:
    lines = [f"- {intent.description or intent.name}: {intent.responses[0]}"
             for intent in BotIntent.objects.exclude(name__in=SKIPPED)
             if intent.responses and isinstance(intent.responses[0], str)]  # fmt: skip
    for product in Product.objects.filter(in_stock=True)[:limit]:
        price = f", {product.price} {product.currency}".rstrip() if product.price else ""
        lines.append(f"- Product {product.name}{price}: {product.description[:200]}")
    return "\n".join(lines)


def answer(question: str) -> str:
    """The AI's grounded answer, or "" (no provider, a budget spent, nothing to say)."""
    try:
        text = write(PROMPT, {"facts": facts(), "question": question}).strip()
    except WriterUnavailable as exc:
        logger.debug("no AI answer: %s", exc)
        return ""
    if not text or NO_ANSWER in text:
        return ""
    given = set(re.findall(settings.CHATBOT_ORDER_NUMBER, question.upper()))
    named = set(re.findall(settings.CHATBOT_ORDER_NUMBER, text.upper()))
    if named - given:
        logger.warning("AI answer dropped: it names order numbers it was not given")
        return ""
    return text
