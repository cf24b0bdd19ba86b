"""ESP tracking webhooks, through django-anymail: anymail authenticates the call (its
WEBHOOK_SECRET basic auth, plus the ESP's own signature where it has one) and
normalises the event; this receiver updates the delivery and the suppression list.
Connected in MarketingConfig.ready; the URLs are anymail's (`/anymail/<esp>/tracking/`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from anymail import urls as anymail_urls
from anymail.exceptions import AnymailWebhookValidationFailure
from anymail.signals import AnymailTrackingEvent
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.urls import URLPattern

from marketing.email.services import apply_esp_event

logger = logging.getLogger(__name__)
SIGNING_KEYS = ("WEBHOOK_SIGNING_KEY", "WEBHOOK_VERIFICATION_KEY", "WEBHOOK_SECRET")
NOT_CONFIGURED = ("ESP webhooks are refused: this back office has no ANYMAIL_WEBHOOK_SECRET "
                  "(or ESP signing key) to check them with.")  # fmt: skip


def on_tracking(sender: Any, event: AnymailTrackingEvent, esp_name: str, **kwargs: Any) -> None:
    metadata = event.metadata or {}
    apply_esp_event(
        event_type=event.event_type,
        delivery_id=metadata.get("delivery_id"),
        esp_message_id=event.message_id,
        recipient=event.recipient,
        description=event.description or event.reject_reason or "",
        click_url=event.click_url,
        esp_name=esp_name,
    )


def webhooks_protected() -> bool:
    """Whether anything authenticates the ESP's calls: the shared basic-auth secret or
    the ESP's own signing key."""
    return any(value and (name == "WEBHOOK_SECRET" or name.endswith(SIGNING_KEYS))
               for name, value in settings.ANYMAIL.items())  # fmt: skip


def refuse_unauthenticated(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Fail closed: without a secret or signing key every call is refused (403), since an
    anonymous "hard bounce" would suppress any address. anymail answers a failed check
    with 400; we answer 401 for missing or wrong basic-auth credentials and 403 for a
    wrong signature, so a monitoring ESP sees an authentication failure."""

    @wraps(view)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not webhooks_protected():
            logger.warning("ESP webhook refused: set ANYMAIL_WEBHOOK_SECRET (or the ESP's "
                           "signing key) to accept tracking events")  # fmt: skip
            return HttpResponseForbidden(NOT_CONFIGURED)
        try:
            return view(request, *args, **kwargs)
        except AnymailWebhookValidationFailure as exc:
            if settings.ANYMAIL.get("WEBHOOK_SECRET") and "basic auth" in str(exc):
                response = HttpResponse("Authentication required.", status=401)
                response["WWW-Authenticate"] = 'Basic realm="ESP webhooks"'
                return response
            return HttpResponseForbidden(f"Refused: {exc}")

    return checked


def anymail_urlpatterns() -> list[URLPattern]:
    """anymail's webhook URLs, each behind `refuse_unauthenticated`."""
    return [
        URLPattern(p.pattern, refuse_unauthenticated(p.callback), p.default_args, p.name)
        for p in anymail_urls.urlpatterns
        if isinstance(p, URLPattern)
    ]
