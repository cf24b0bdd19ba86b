"""Signed inbound webhooks that start a workflow.

The caller signs `<X-Timestamp>.<raw body>` with the workflow's webhook secret
(HMAC-SHA256, hex) and sends `X-Signature: sha256=<hex>`; after a rotation the old secret
is accepted for a grace period. A timestamp older than
WORKFLOW_HOOK_MAX_AGE_SECONDS (or as far in the future) is refused, so a captured
request cannot be replayed later; within that window each accepted signature is
remembered, and the same request again is answered 409."""

from __future__ import annotations

import hmac
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction

from benchbarrier import clock, outbound
from workflows.models import HookReceipt, Workflow


class HookRefused(Exception):
    def __init__(self, message: str, status: int = 401) -> None:
        self.status = status
        super().__init__(message)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    return outbound.signature(secret, timestamp, body)


def secrets_of(workflow: Workflow) -> list[str]:
    """The secrets a workflow's hook accepts: its own, and the one before the last rotation
    while its grace period lasts."""
    found = [workflow.webhook_secret]
    until = workflow.previous_secret_until
    if workflow.previous_webhook_secret and until and clock.now() < until:
        found.append(workflow.previous_webhook_secret)
    return found


def verify(*, secrets: list[str], timestamp: str | None, signature: str | None,
           body: bytes) -> None:  # fmt: skip
    """Raises HookRefused (401) for a missing or stale signature, 403 for a wrong one."""
    if not timestamp or not signature:
        raise HookRefused("Send X-Timestamp and X-Signature headers.")
    try:
        age = abs(clock.now().timestamp() - int(timestamp))
    except ValueError:
        raise HookRefused("X-Timestamp must be Unix seconds.") from None
    if age > settings.WORKFLOW_HOOK_MAX_AGE_SECONDS:
        raise HookRefused("X-Timestamp is too old (or too far ahead): replay refused.")
    if not any(hmac.compare_digest(sign(s, timestamp, body), signature) for s in secrets):
        raise HookRefused("Bad signature.", status=403)


def remember(signature: str) -> None:
    """Keep an accepted signature while it could be replayed; raises HookRefused (409)
    for one seen before. Receipts past the window are pruned as new ones arrive."""
    now = clock.now()
    window = timedelta(seconds=2 * settings.WORKFLOW_HOOK_MAX_AGE_SECONDS)
    HookReceipt.objects.filter(received_at__lt=now - window).delete()
    try:
        with transaction.atomic():
            HookReceipt.objects.create(signature=signature[:100], received_at=now)
    except IntegrityError:
        raise HookRefused(
            "This signed request was accepted before: replay refused.", status=409
        ) from None
