"""Signed tokens in email links: unsubscribe (expiring), open pixel and click redirect.

Tokens are signed with SECRET_KEY (django.core.signing) under their own salt, so one
kind cannot be replayed as another, and a tampered token is refused."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing

UNSUBSCRIBE = "marketing.email.unsubscribe"
OPEN = "marketing.email.open"
CLICK = "marketing.email.click"


class BadToken(Exception):
    """Tampered, unknown or expired token."""


def make(salt: str, *values: int | str) -> str:
    return signing.dumps(list(values), salt=salt)


def read(salt: str, token: str, max_age: timedelta | None = None) -> list:
    try:
        return signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired:
        raise BadToken("This link has expired.") from None
    except signing.BadSignature:
        raise BadToken("This link is not valid.") from None


def unsubscribe_max_age() -> timedelta:
    return timedelta(days=settings.EMAIL_UNSUBSCRIBE_LINK_DAYS)


def tracking_max_age() -> timedelta:
    return timedelta(days=settings.EMAIL_TRACKING_LINK_DAYS)
