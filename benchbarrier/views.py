from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views import defaults

from benchbarrier.api.errors import json_bad_request, json_server_error


def server_error(request: HttpRequest) -> HttpResponse:
    """API callers get the API's JSON error format; admin users get the HTML page."""
    if request.path.startswith("/api/"):
        return json_server_error(request)
    return defaults.server_error(request)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """API callers get the JSON error format (413 for a body over the limit)."""
    if request.path.startswith("/api/"):
        return json_bad_request(request, exception)
    return defaults.bad_request(request, exception)
