"""ESP tracking webhooks, through django-anymail: anymail authenticates the call (its
WEBHOOK_SECRET basic auth, plus the ESP's own signature where it has one) and
normalises the event; this receiver updates the delivery and the suppression list.
Connected in MarketingConfig.ready; the URLs are anymail's (`/anymail/<esp>/tracking/`)."""

from __future__ import annotations

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


def refuse_unauthenticated(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """anymail answers a failed webhook check with 400; we answer 401 (no credentials)
    or 403 (wrong credentials or signature), so a monitoring ESP sees an auth failure."""

    @wraps(view)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except AnymailWebhookValidationFailure as exc:
            if "HTTP_AUTHORIZATION" not in request.META and settings.ANYMAIL.get("WEBHOOK_SECRET"):
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
