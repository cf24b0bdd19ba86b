from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views import defaults

from benchbarrier.api.errors import json_server_error


def server_error(request: HttpRequest) -> HttpResponse:
    """API callers get the API's JSON error format; admin users get the HTML page."""
    if request.path.startswith("/api/"):
        return json_server_error(request)
    return defaults.server_error(request)
