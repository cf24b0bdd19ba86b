"""Where an SMS goes: Twilio (through its own SDK, a Messaging Service or a sender
number, with a status callback to this back office) or, by default, a file per message
in DATA_DIR/sms so that `make run` works with nothing configured."""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Protocol

from django.conf import settings

logger = logging.getLogger(__name__)


class SendError(Exception):
    """The provider refused the message; `retry` says whether trying later may help."""

    def __init__(self, message: str, *, retry: bool, wait_seconds: float | None = None) -> None:
        super().__init__(message)
        self.retry, self.wait_seconds = retry, wait_seconds


@dataclass(frozen=True)
class Accepted:
    provider_id: str
    status: str  # the provider's word: queued, accepted, sent...


class Backend(Protocol):
    def send(self, to: str, body: str) -> Accepted: ...


class FileBackend:
    """Writes each message to DATA_DIR/sms/<id>.json and logs it."""

    def send(self, to: str, body: str) -> Accepted:
        folder = Path(settings.DATA_DIR) / "sms"
        folder.mkdir(parents=True, exist_ok=True)
        sid = f"FILE{uuid.uuid4().hex}"
        (folder / f"{sid}.json").write_text(json.dumps({"to": to, "body": body}))
        logger.info("SMS to %s (file backend, %s): %s", to, sid, body[:80])
        return Accepted(sid, "sent")


class TwilioBackend:
    """Twilio's Messages API through the `twilio` SDK."""

    def __init__(self) -> None:
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        self.client = Client(
            settings.TWILIO_ACCOUNT_SID,
            settings.TWILIO_AUTH_TOKEN,
            http_client=TwilioHttpClient(timeout=settings.SMS_TIMEOUT_SECONDS),
        )
        if settings.TWILIO_API_BASE_URL:  # a regional edge, or a local fake in tests
            self.client.api.base_url = settings.TWILIO_API_BASE_URL

    def send(self, to: str, body: str) -> Accepted:
        from twilio.base.exceptions import TwilioException, TwilioRestException

        sender = (
            {"messaging_service_sid": settings.TWILIO_MESSAGING_SERVICE_SID}
            if settings.TWILIO_MESSAGING_SERVICE_SID
            else {"from_": settings.TWILIO_FROM_NUMBER}
        )
        try:
            message = self.client.messages.create(
                to=to,
                body=body,
                status_callback=f"{settings.SITE_URL.rstrip('/')}/sms/twilio/status",
                **sender,
            )
        except TwilioRestException as exc:
            retry = exc.status == 429 or exc.status >= 500
            raise SendError(f"Twilio {exc.status} {exc.code}: {exc.msg}", retry=retry) from None
        except TwilioException as exc:  # connection trouble
            raise SendError(f"Twilio unreachable: {exc}", retry=True) from None
        return Accepted(message.sid, message.status or "queued")


@cache
def backend() -> Backend:
    """The configured backend, made once per process."""
    if settings.SMS_BACKEND == "twilio":
        return TwilioBackend()
    return FileBackend()
