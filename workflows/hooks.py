"""Signed inbound webhooks that start a workflow.

The caller signs `<X-Timestamp>.<raw body>` with the workflow's webhook secret
(HMAC-SHA256, hex) and sends `X-Signature: sha256=<hex>`. A timestamp older than
WORKFLOW_HOOK_MAX_AGE_SECONDS (or as far in the future) is refused, so a captured
request cannot be replayed later."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings

from benchbarrier import clock


class HookRefused(Exception):
    def __init__(self, message: str, status: int = 401) -> None:
        self.status = status
        super().__init__(message)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def verify(*, secret: str, timestamp: str | None, signature: str | None, body: bytes) -> None:
    """Raises HookRefused (401) for a missing, stale or wrong signature."""
    if not timestamp or not signature:
        raise HookRefused("Send X-Timestamp and X-Signature headers.")
    try:
        age = abs(clock.now().timestamp() - int(timestamp))
    except ValueError:
        raise HookRefused("X-Timestamp must be Unix seconds.") from None
    if age > settings.WORKFLOW_HOOK_MAX_AGE_SECONDS:
        raise HookRefused("X-Timestamp is too old (or too far ahead): replay refused.")
    if not hmac.compare_digest(sign(secret, timestamp, body), signature):
        raise HookRefused("Bad signature.", status=403)
