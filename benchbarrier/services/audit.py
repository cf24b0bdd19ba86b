"""The audit log: one function every app calls for each automated or API action."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.http import HttpRequest

from benchbarrier.models import ActorType, APIKey, AuditLogEntry


@dataclass(frozen=True)
class Actor:
    """Who performed an action: a staff user, an API key, or the system itself."""

    type: str
    label: str
    user: Any = None
    api_key: APIKey | None = None

    @classmethod
    def system(cls, component: str) -> Actor:
        """The platform acting on its own, e.g. `Actor.system("jobs.rescue")`."""
        return cls(type=ActorType.SYSTEM, label=f"system: {component}")

    @classmethod
    def from_request(cls, request: HttpRequest) -> Actor:
        auth = getattr(request, "auth", None)
        if isinstance(auth, APIKey):
            return cls(type=ActorType.API_KEY, label=f"key {auth.label}", api_key=auth)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return cls(type=ActorType.USER, label=user.get_username(), user=user)
        return cls(type=ActorType.SYSTEM, label="anonymous request")


def client_ip(request: HttpRequest) -> str | None:
    """The caller's address. Behind a proxy the proxy must set REMOTE_ADDR correctly
    (e.g. gunicorn --forwarded-allow-ips); forwarded headers are not trusted here."""
    return request.META.get("REMOTE_ADDR") or None


def record_audit(
    *,
    action: str,
    target: models.Model | None = None,
    changes: dict[str, Any] | None = None,
    actor: Actor | None = None,
    request: HttpRequest | None = None,
) -> AuditLogEntry:
    """Write one audit log entry.

    `action` is a dotted verb such as `api_key.rotated`. The actor defaults to the one
    behind `request`; without a request an explicit actor is required (raises
    ValueError), so no automated action goes unattributed.
    """
    if actor is None:
        if request is None:
            raise ValueError("record_audit needs an actor or a request")
        actor = Actor.from_request(request)
    return AuditLogEntry.objects.create(
        actor_type=actor.type,
        actor_label=actor.label[:200],
        actor_user=actor.user,
        actor_api_key=actor.api_key,
        action=action,
        target_type=ContentType.objects.get_for_model(target) if target is not None else None,
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:200] if target is not None else "",
        changes=changes or {},
        request_id=getattr(request, "request_id", "") if request is not None else "",
        ip_address=client_ip(request) if request is not None else None,
    )


def forget_in_audit(entries: Q, target: models.Model | None = None) -> int:
    """Erase what the matching entries (and those about `target`) say about a person whose
    data is erased: their action, actor and time stay, their changes and the target's
    name go. Returns how many entries it changed."""
    if target is not None:
        entries |= Q(target_type=ContentType.objects.get_for_model(target),
                     target_id=str(target.pk))  # fmt: skip
    return AuditLogEntry.objects.filter(entries).update(changes={"erased": True},
                                                         target_repr="(erased)")  # fmt: skip
