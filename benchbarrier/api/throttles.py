"""Request throttles: one budget per client and one for the whole API, in the cache
(Redis when configured), so every web process shares them."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from rest_framework.throttling import SimpleRateThrottle

from benchbarrier.models import APIKey


class ClientThrottle(SimpleRateThrottle):
    """Per API key (its own rate if set), per staff user, or per address."""

    scope = "client"

    def get_rate(self) -> str:
        return settings.API_THROTTLE_CLIENT_RATE

    def allow_request(self, request: HttpRequest, view: Any) -> bool:
        if isinstance(request.auth, APIKey) and request.auth.throttle_rate:
            self.rate = request.auth.throttle_rate
            self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request: HttpRequest, view: Any) -> str:
        if isinstance(request.auth, APIKey):
            ident = f"key:{request.auth.prefix}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        return f"throttle:client:{ident}"


class GlobalThrottle(SimpleRateThrottle):
    """All API traffic together: protects the database from a flood of many keys."""

    scope = "global"

    def get_rate(self) -> str:
        return settings.API_THROTTLE_GLOBAL_RATE

    def get_cache_key(self, request: HttpRequest, view: Any) -> str:
        return "throttle:global"
