"""Signed tokens in email links: unsubscribe (expiring), open pixel and click redirect.

Tokens are signed with SECRET_KEY under their own salt, so one kind cannot be replayed
as another, and a tampered token is refused. A message carries several (one per link),
so they are made the cheap way: `2.<payload>.<time>.<signature>`, an HMAC-SHA256 with a
key derived once per salt and secret. Tokens in mail sent before this format
(django.core.signing's) are still read. SECRET_KEY_FALLBACKS are honoured, as by
django.core.signing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import timedelta
from functools import lru_cache

from django.conf import settings
from django.core import signing
from django.utils.crypto import constant_time_compare

from benchbarrier import clock

UNSUBSCRIBE = "marketing.email.unsubscribe"
OPEN = "marketing.email.open"
CLICK = "marketing.email.click"
VERSION = "2"


class BadToken(Exception):
    """Tampered, unknown or expired token."""


def make(salt: str, *values: int | str) -> str:
    payload = _b64(json.dumps(list(values), separators=(",", ":")).encode())
    signed = f"{VERSION}.{payload}.{int(clock.now().timestamp()):x}"
    return f"{signed}.{_signature(_key(salt, settings.SECRET_KEY), signed)}"


def read(salt: str, token: str, max_age: timedelta | None = None) -> list:
    if not token.startswith(f"{VERSION}."):
        return _read_signing(salt, token, max_age)
    signed, _, signature = token.rpartition(".")
    keys = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    if not any(constant_time_compare(signature, _signature(_key(salt, k), signed)) for k in keys):
        raise BadToken("This link is not valid.")
    _, payload, stamp = signed.split(".")
    age = clock.now().timestamp() - int(stamp, 16)
    if max_age is not None and age > max_age.total_seconds():
        raise BadToken("This link has expired.")
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def _read_signing(salt: str, token: str, max_age: timedelta | None) -> list:
    """A token made by django.core.signing (mail sent before the current format)."""
    try:
        return signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired:
        raise BadToken("This link has expired.") from None
    except signing.BadSignature:
        raise BadToken("This link is not valid.") from None


@lru_cache(maxsize=32)
def _key(salt: str, secret: str) -> bytes:
    return hashlib.sha256(f"benchbarrier.email-token:{salt}:{secret}".encode()).digest()


def _signature(key: bytes, signed: str) -> str:
    return _b64(hmac.new(key, signed.encode(), hashlib.sha256).digest())


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unsubscribe_max_age() -> timedelta:
    return timedelta(days=settings.EMAIL_UNSUBSCRIBE_LINK_DAYS)


def tracking_max_age() -> timedelta:
    return timedelta(days=settings.EMAIL_TRACKING_LINK_DAYS)
