"""One error format for every API failure.

    {"code": "invalid", "message": "name: This field is required.",
     "errors": [{"field": "name", "code": "required", "message": "This field is required."}],
     "requestId": "..."}

`field` is the camelCase path of the offending input (`steps[3].ifTrue[0].template`),
or null for an error about the request as a whole.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from djangorestframework_camel_case.util import camelize_re, underscore_to_camel
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

NON_FIELD_KEYS = {api_settings.NON_FIELD_ERRORS_KEY, "__all__"}


def camel_case(name: str) -> str:
    return re.sub(camelize_re, underscore_to_camel, name)


def _verbatim_fields() -> set[str]:
    """Fields whose contents pass through without camelCase rewriting (`variables`,
    `traits`...): the keys inside them are the client's own and stay as sent."""
    options = getattr(settings, "JSON_CAMEL_CASE", {}).get("JSON_UNDERSCOREIZE", {})
    return {camel_case(name) for name in options.get("ignore_fields", ())}


def _join(path: str, key: str) -> str:
    """`path` + `.key`, camelCased unless the key sits inside a verbatim field; a dotted
    key ("variables.product_name") is a path of its own."""
    verbatim = _verbatim_fields()
    for part in key.split("."):
        parent = path.rsplit(".", 1)[-1].split("[", 1)[0]
        name = part if path and parent in verbatim else camel_case(part)
        path = f"{path}.{name}" if path else name
    return path


def flatten_errors(detail: Any, path: str = "") -> list[dict[str, Any]]:
    """Turn DRF's nested error detail into a flat list of `{field, code, message}`."""
    if isinstance(detail, dict):
        items: list[dict[str, Any]] = []
        for key, value in detail.items():
            if key in NON_FIELD_KEYS:
                items.extend(flatten_errors(value, path))
            elif isinstance(key, int):
                items.extend(flatten_errors(value, f"{path}[{key}]"))
            else:
                items.extend(flatten_errors(value, _join(path, str(key))))
        return items
    if isinstance(detail, list):
        if all(isinstance(item, exceptions.ErrorDetail | str) for item in detail):
            return [_item(path, item) for item in detail]
        items = []
        for index, value in enumerate(detail):
            if value:
                items.extend(flatten_errors(value, f"{path}[{index}]"))
        return items
    return [_item(path, detail)]


def _item(path: str, detail: Any) -> dict[str, Any]:
    return {
        "field": path or None,
        "code": getattr(detail, "code", None) or "invalid",
        "message": str(detail),
    }


def _summary(errors: list[dict[str, Any]]) -> str:
    parts = [f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors]
    text = " ".join(parts[:3])
    if len(parts) > 3:
        text += f" (and {len(parts) - 3} more)"
    return text


def _code_for(exc: exceptions.APIException, errors: list[dict[str, Any]]) -> str:
    if isinstance(exc, exceptions.ParseError):
        return "malformed_json"
    if isinstance(exc, exceptions.ValidationError):
        return "invalid"
    if len(errors) == 1 and errors[0]["field"] is None:
        return errors[0]["code"]
    return exc.default_code


def error_body(
    *, code: str, message: str, errors: list[dict[str, Any]], request: HttpRequest | None
) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "errors": errors,
        "requestId": getattr(request, "request_id", None),
    }


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler (status, headers like Retry-After), then our body shape."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    request = context.get("request")
    errors = flatten_errors(exc.detail) if isinstance(exc, exceptions.APIException) else []
    if isinstance(exc, exceptions.ParseError):
        errors = [{"field": None, "code": "malformed_json", "message": str(exc.detail)}]
    code = _code_for(exc, errors) if isinstance(exc, exceptions.APIException) else "error"
    response.data = error_body(
        code=code, message=_summary(errors) or str(exc), errors=errors, request=request
    )
    return response


@csrf_exempt  # it changes nothing; a POST to a wrong path must get this 404, not a CSRF page
def json_not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    """404 for unknown /api/ paths, in the API's error format, for every method."""
    message = f"No API endpoint at {request.path}."
    return JsonResponse(
        _camel(
            error_body(
                code="not_found",
                message=message,
                errors=[{"field": None, "code": "not_found", "message": message}],
                request=request,
            )
        ),
        status=404,
    )


def json_error(request: HttpRequest, status: int, code: str, message: str) -> JsonResponse:
    """An error outside DRF (Django's own 400/413/500) in the API's one format."""
    errors = [{"field": None, "code": code, "message": message}]
    body = error_body(code=code, message=message, errors=errors, request=request)
    return JsonResponse(_camel(body), status=status)


def json_server_error(request: HttpRequest) -> JsonResponse:
    message = "Internal server error; it has been logged. Quote the request id if you report it."
    return json_error(request, 500, "server_error", message)


def json_bad_request(request: HttpRequest, exception: Exception | None) -> JsonResponse:
    """Django's own refusals of a request (a body over the size limit: 413)."""
    if isinstance(exception, RequestDataTooBig | TooManyFieldsSent | TooManyFilesSent):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return json_error(request, 413, "too_large",
                          f"The request body is over the limit ({limit:,} bytes): send less "
                          "at a time (batches of up to 1,000 items).")  # fmt: skip
    return json_error(request, 400, "bad_request", str(exception or "") or "Bad request.")


def _camel(body: dict[str, Any]) -> dict[str, Any]:
    return {camel_case(key): value for key, value in body.items()}


class Conflict(exceptions.APIException):
    """The resource's current state does not allow the action (e.g. cancel a finished job)."""

    status_code = 409
    default_detail = "The resource's current state does not allow this."
    default_code = "conflict"
