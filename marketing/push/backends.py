"""Where a notification goes: the browser's push service, through `pywebpush` (payload
encrypted for the subscription, signed with the VAPID key), or, by default, a file per
notification in DATA_DIR/push so that `make run` works with nothing configured.

Push endpoints come from browsers (the shop's site posts them), so every call goes
through the project's SSRF guard: a public address only, checked once, no redirects."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from django.conf import settings

from benchbarrier import outbound

EXPIRED = (404, 410)  # the push service forgot the subscription: remove it


class SendError(Exception):
    def __init__(self, message: str, *, retry: bool) -> None:
        super().__init__(message)
        self.retry = retry


@dataclass(frozen=True)
class Target:
    endpoint: str
    p256dh: str
    auth: str


class Backend(Protocol):
    def send(self, target: Target, payload: dict[str, Any]) -> int:
        """The push service's status (201: taken; 404/410: expired)."""


class FileBackend:
    def send(self, target: Target, payload: dict[str, Any]) -> int:
        folder = Path(settings.DATA_DIR) / "push"
        folder.mkdir(parents=True, exist_ok=True)
        record = {"endpoint": target.endpoint, **payload}
        (folder / f"{uuid.uuid4().hex}.json").write_text(json.dumps(record))
        return 201


@dataclass
class _Answer:
    """What pywebpush reads of a response."""

    status_code: int
    text: str = ""
    headers: dict[str, str] | None = None


class _GuardedSession:
    """pywebpush posts through this (its `requests_session`): the SSRF-guarded POST."""

    def post(self, url: str, data: bytes, headers: dict[str, str], timeout: Any = None,
             **_: Any) -> _Answer:  # fmt: skip
        try:
            status = outbound.post(
                url, data, dict(headers), allowed_hosts=settings.PUSH_ALLOWED_HOSTS,
                timeout=(3, settings.PUSH_TIMEOUT_SECONDS), raise_for_status=False,
            )  # fmt: skip
        except outbound.BlockedAddress as exc:
            raise SendError(str(exc), retry=False) from None
        except OSError as exc:  # the push service is unreachable
            raise SendError(f"push service unreachable: {exc}", retry=True) from None
        return _Answer(status, headers={})


class WebPushBackend:
    def __init__(self) -> None:
        from py_vapid import Vapid

        self.vapid = Vapid.from_string(private_key=settings.VAPID_PRIVATE_KEY)

    def send(self, target: Target, payload: dict[str, Any]) -> int:
        from pywebpush import WebPusher

        parts = urlsplit(target.endpoint)
        claims = {
            "sub": settings.VAPID_SUBJECT,
            "aud": f"{parts.scheme}://{parts.netloc}",
            "exp": int(time.time()) + 12 * 3600,
        }
        pusher = WebPusher(
            {"endpoint": target.endpoint, "keys": {"p256dh": target.p256dh, "auth": target.auth}},
            requests_session=_GuardedSession(),
        )
        answer = pusher.send(
            json.dumps(payload).encode(), self.vapid.sign(claims),
            ttl=settings.PUSH_TTL_SECONDS, content_encoding="aes128gcm",
        )  # fmt: skip
        if answer.status_code == 429 or answer.status_code >= 500:
            raise SendError(f"the push service answered {answer.status_code}", retry=True)
        return answer.status_code


@cache
def backend() -> Backend:
    if settings.PUSH_BACKEND == "webpush":
        return WebPushBackend()
    return FileBackend()
