from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from prometheus_client import CONTENT_TYPE_LATEST

from benchbarrier import health, telemetry
from benchbarrier.metrics_access import metrics_allowed

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
KNOWN_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


class HealthProbeMiddleware:
    """Answers /healthz, /readyz and /metrics before host checks and HTTPS redirects,
    because load balancers and Prometheus reach a process by IP address over plain HTTP."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info.rstrip("/")
        if path == "/healthz":
            return JsonResponse({"status": "ok"})
        if path == "/readyz":
            ready, checks = health.readiness()
            return JsonResponse(
                {"status": "ok" if ready else "unavailable", "checks": checks},
                status=200 if ready else 503,
            )
        if path == "/metrics":
            refused = metrics_allowed(request)
            if refused:
                return JsonResponse({"code": "forbidden", "message": refused}, status=403)
            return HttpResponse(telemetry.exposition(), content_type=CONTENT_TYPE_LATEST)
        return self.get_response(request)


class RequestMetricsMiddleware:
    """Counts each request and its time by method, route pattern (never the raw path: the
    admin's pages count as one route) and status."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = str(match.route) if match is not None and match.route else "unmatched"
        if route.startswith("admin/"):
            route = "admin"
        method = request.method if request.method in KNOWN_METHODS else "other"
        telemetry.HTTP_REQUESTS.labels(method, route, str(response.status_code)).inc()
        telemetry.HTTP_SECONDS.labels(method, route).observe(time.perf_counter() - started)
        return response


class RequestIdMiddleware:
    """Gives each request an id (the caller's X-Request-ID when it is sane), echoed in
    the response and kept in audit log entries, so one request can be traced."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response
