"""Links in an SMS go through the project's click tracker as short links
(`SITE_URL/s/<message>.<link>.<check>`): the click is counted, then the reader is
redirected to the original URL (only the URLs of that message)."""

from __future__ import annotations

import hashlib
import hmac
import re

from django.conf import settings

URL = re.compile(r"https?://[^\s<>\"]+[^\s<>\".,;:!?)\]]")


def shorten(message_id: int, text: str) -> tuple[str, list[str]]:
    """The text with each URL replaced by its short link, and the URLs in order."""
    links: list[str] = []

    def short(match: re.Match[str]) -> str:
        url = match.group(0)
        if url not in links:
            links.append(url)
        return short_link(message_id, links.index(url))

    return URL.sub(short, text), links


def short_link(message_id: int, index: int) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/s/{message_id}.{index}.{check(message_id, index)}"


def check(message_id: int, index: int) -> str:
    key = f"{settings.SECRET_KEY}:sms-link".encode()
    return hmac.new(key, f"{message_id}.{index}".encode(), hashlib.sha256).hexdigest()[:10]


def verify(message_id: int, index: int, given: str) -> bool:
    return hmac.compare_digest(check(message_id, index), given)
