"""Creating, rotating and revoking the API keys the shop's site uses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from benchbarrier import clock
from benchbarrier.durations import parse_duration
from benchbarrier.models import APIKey
from benchbarrier.services.audit import Actor, record_audit


class APIKeyError(Exception):
    """A key operation that cannot be done, with a message for the person asking."""


@dataclass(frozen=True)
class IssuedKey:
    """A key record and its plain-text secret, which exists only here and only once."""

    api_key: APIKey
    secret: str


def default_rotation_grace() -> timedelta:
    return parse_duration(settings.API_KEY_ROTATION_GRACE)


def create_api_key(
    *,
    name: str,
    scopes: list[str],
    actor: Actor,
    expires_at: datetime | None = None,
    throttle_rate: str = "",
    request: object = None,
) -> IssuedKey:
    """Create a key; the returned secret is never stored and cannot be shown again."""
    api_key = APIKey(
        name=name,
        scopes=sorted(set(scopes)),
        expiry_date=expires_at,
        throttle_rate=throttle_rate,
        created_by=actor.label[:150],
    )
    api_key.full_clean(exclude=["id", "prefix", "hashed_key"])
    with transaction.atomic():
        secret = APIKey.objects.assign_key(api_key)
        api_key.save()
        record_audit(
            action="api_key.created",
            target=api_key,
            changes={"scopes": api_key.scopes, "expiresAt": expires_at},
            actor=actor,
            request=request,
        )
    return IssuedKey(api_key=api_key, secret=secret)


def rotate_api_key(
    *,
    api_key: APIKey,
    actor: Actor,
    grace: timedelta | None = None,
    request: object = None,
) -> IssuedKey:
    """Replace a key with a new one of the same name, scopes and rate.

    The new key works at once; the old one keeps working for `grace` (default
    API_KEY_ROTATION_GRACE) so the site can switch over without downtime, then expires.
    Raises APIKeyError for a revoked, expired or already rotated key.
    """
    grace = default_rotation_grace() if grace is None else grace
    if grace < timedelta(0):
        raise APIKeyError("The grace period cannot be negative.")
    with transaction.atomic():
        old = APIKey.objects.select_for_update().get(pk=api_key.pk)
        if old.revoked:
            raise APIKeyError(f"Key {old.prefix} is revoked; create a new key instead.")
        if old.has_expired:
            raise APIKeyError(f"Key {old.prefix} has expired; create a new key instead.")
        if APIKey.objects.filter(rotated_from=old).exists():
            raise APIKeyError(f"Key {old.prefix} was already rotated.")
        new = APIKey(
            name=old.name,
            scopes=old.scopes,
            throttle_rate=old.throttle_rate,
            expiry_date=old.expiry_date,
            rotated_from=old,
            created_by=actor.label[:150],
        )
        secret = APIKey.objects.assign_key(new)
        new.save()
        grace_ends = clock.now() + grace
        if old.expiry_date is None or old.expiry_date > grace_ends:
            old.expiry_date = grace_ends
            old.save(update_fields=["expiry_date"])
        record_audit(
            action="api_key.rotated",
            target=old,
            changes={"newKey": new.prefix, "oldKeyExpiresAt": old.expiry_date},
            actor=actor,
            request=request,
        )
    api_key.refresh_from_db()
    return IssuedKey(api_key=new, secret=secret)


def revoke_api_key(*, api_key: APIKey, actor: Actor, request: object = None) -> APIKey:
    """Revoke a key at once and for good (revocation cannot be undone)."""
    if api_key.revoked:
        return api_key
    with transaction.atomic():
        api_key.revoked = True
        api_key.save(update_fields=["revoked"])
        record_audit(action="api_key.revoked", target=api_key, actor=actor, request=request)
    return api_key


def touch_api_key(api_key: APIKey) -> None:
    """Note that a key was used, at most once a minute per key (no write per request)."""
    now = clock.now()
    if api_key.last_used_at and now - api_key.last_used_at < timedelta(minutes=1):
        return
    APIKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
    api_key.last_used_at = now
