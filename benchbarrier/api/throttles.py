"""Request throttles: one budget per client and one for the whole API, in the cache
(Redis when configured), so every web process shares them. When the cache cannot be
reached they fail open: each process counts on its own meanwhile (a warning logged at most
once a minute), because PostgreSQL, not Redis, holds the work: jobs and events are still
stored, and the beat tick wakes the workers for them once the broker is back."""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.core.cache.backends.locmem import LocMemCache
from django.http import HttpRequest
from rest_framework.throttling import SimpleRateThrottle

from benchbarrier.models import APIKey

logger = logging.getLogger(__name__)


_fallback = LocMemCache("throttle-fallback", {"MAX_ENTRIES": 10_000})
_warned = {"at": float("-inf")}


class FailOpen(SimpleRateThrottle):
    def allow_request(self, request: HttpRequest, view: Any) -> bool:
        try:
            return super().allow_request(request, view)
        except Exception as exc:  # the shared counters' store is down: count in-process
            if time.monotonic() - _warned["at"] > 60:
                _warned["at"] = time.monotonic()
                logger.warning("throttle counters unreachable (%s): counting per process", exc)
            self.cache = _fallback
            return super().allow_request(request, view)


class ClientThrottle(FailOpen):
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


class GlobalThrottle(FailOpen):
    """All API traffic together: protects the database from a flood of many keys."""

    scope = "global"

    def get_rate(self) -> str:
        return settings.API_THROTTLE_GLOBAL_RATE

    def get_cache_key(self, request: HttpRequest, view: Any) -> str:
        return "throttle:global"
