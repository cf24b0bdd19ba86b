"""A deterministic judge of generated copy: a 0-1 score and concrete suggestions, from
length against the limit, a call to action, hashtags on social posts, spam-trigger
words and readability. The same judge scores optimisations before and after."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Characters a platform or format allows, when the prompt sets none.
CATEGORY_LIMITS = {"social": 280, "ad": 150}
SUBJECT_LINE_LIMIT = 60
CALL_TO_ACTION = re.compile(
    r"\b(shop|buy|order|get|discover|try|sign up|join|book|claim|save|start|explore|visit|"
    r"learn more|read more|see|grab|subscribe|download|reply|add to cart|check out)\b",
    re.IGNORECASE,
)
SPAM_TRIGGERS = [
    "100% free", "act now", "buy now!!!", "cash bonus", "click here", "earn money",
    "guaranteed", "limited time only!!!", "no risk", "risk-free", "winner", "you have been "
    "selected", "urgent", "free money", "once in a lifetime", "double your",
]  # fmt: skip
HASHTAG = re.compile(r"(?<!\w)#\w+")
SENTENCE_END = re.compile(r"[.!?]+(?:\s|$)")


@dataclass
class Quality:
    score: float
    suggestions: list[str] = field(default_factory=list)


def analyse(text: str, *, category: str = "other", max_length: int | None = None) -> Quality:
    """Score `text` for its category (product, email, social, blog, ad, other)."""
    text = text.strip()
    if not text:
        return Quality(0.0, ["The content is empty."])
    penalty = 0.0
    suggestions: list[str] = []
    limit = max_length or CATEGORY_LIMITS.get(category)
    is_subject_line = category == "email" and "\n" not in text and len(text) <= 120
    if is_subject_line and not max_length:
        limit = SUBJECT_LINE_LIMIT
    if limit and len(text) > limit:
        over = len(text) - limit
        penalty += min(0.4, 0.1 + over / limit)
        suggestions.append(f"Shorten it by {over} characters to fit {limit}.")
    if category in ("product", "email", "social", "ad") and not CALL_TO_ACTION.search(text):
        penalty += 0.15
        suggestions.append('Add a call to action ("Shop now", "Discover the collection").')
    if category == "social":
        tags = len(HASHTAG.findall(text))
        if tags == 0:
            penalty += 0.1
            suggestions.append("Add one to three relevant hashtags.")
        elif tags > 5:
            penalty += 0.1
            suggestions.append(f"Use at most five hashtags (there are {tags}).")
    lowered = text.lower()
    spam = [word for word in SPAM_TRIGGERS if word in lowered]
    if spam:
        penalty += min(0.3, 0.1 * len(spam))
        suggestions.append(f"Avoid spam-trigger phrases: {', '.join(spam)}.")
    if "!!" in text or sum(1 for w in re.findall(r"\b[A-Z]{4,}\b", text)) > 1:
        penalty += 0.1
        suggestions.append("Drop repeated exclamation marks and words in capitals.")
    words = re.findall(r"\w+", text)
    sentences = max(1, len(SENTENCE_END.findall(text)))
    if not is_subject_line and len(words) / sentences > 25:
        penalty += 0.1
        suggestions.append("Split long sentences (aim for under 20 words each).")
    return Quality(round(max(0.0, 1.0 - penalty), 2), suggestions)


def limit_of_goal(goal: str) -> int | None:
    """A character limit named in an optimisation goal ("fit 280 characters")."""
    match = re.search(r"(\d+)\s*(?:characters|chars)", goal, re.IGNORECASE)
    return int(match.group(1)) if match else None
