"""Who may read `/metrics`: a scraper that sends `Authorization: Bearer <METRICS_TOKEN>`,
or one whose address is in METRICS_ALLOWED_IPS (addresses or networks). With neither
set nobody may (the figures say a lot about the shop's business)."""

from __future__ import annotations

import hmac
import ipaddress

from django.conf import settings
from django.http import HttpRequest


def metrics_allowed(request: HttpRequest) -> str:
    """ "" when the request may read the metrics, else why not."""
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return ""
    address = request.META.get("REMOTE_ADDR", "")
    try:
        client = ipaddress.ip_address(address)
    except ValueError:
        client = None
    for allowed in settings.METRICS_ALLOWED_IPS:
        try:
            if client is not None and client in ipaddress.ip_network(allowed, strict=False):
                return ""
        except ValueError:
            continue
    if not token and not settings.METRICS_ALLOWED_IPS:
        return "Set METRICS_TOKEN or METRICS_ALLOWED_IPS to let a scraper read /metrics."
    return "Send Authorization: Bearer <METRICS_TOKEN>, or scrape from an allowed address."
