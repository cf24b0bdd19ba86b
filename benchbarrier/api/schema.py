"""OpenAPI: the API-key security scheme and the shared error responses."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse

from benchbarrier.api.serializers import ErrorSerializer

ERROR_STATUSES = {
    "400": "Invalid input (body or query parameters): see `errors` for each field at fault.",
    "401": "No API key, or the key is invalid, revoked or expired.",
    "403": "The key lacks the scope this endpoint needs.",
    "404": "No such resource (or not one this key may see).",
    "409": "The resource's state does not allow this now (e.g. cancel a finished job).",
    "413": "The request body is over the size limit.",
    "415": "The body must be JSON (`Content-Type: application/json`).",
    "429": "Too many requests: retry after the `Retry-After` header's seconds.",
    "503": "A service the call needs (the AI provider, the database) is unavailable: retry.",
}
BODY_ONLY = {"409", "413", "415"}  # not for GET


class APIKeyScheme(OpenApiAuthenticationExtension):
    target_class = "benchbarrier.api.authentication.APIKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <prefix>.<secret>`, as shown once when the key is made.",
        }


class AutoSchema(SpectacularAutoSchema):
    """Adds the shared error responses to every operation that does not describe its own."""

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for status, description in ERROR_STATUSES.items():
            if status in BODY_ONLY and self.method == "GET":
                continue
            if status not in responses:
                responses[status] = self._get_response_for_code(
                    OpenApiResponse(response=ErrorSerializer, description=description),
                    status,
                    direction=direction,
                )
        return responses


def strip_trailing_slashes(endpoints: list[tuple]) -> list[tuple]:
    """Document paths as the seed writes them (`/api/keys`); routes accept both forms."""
    return [(path.rstrip("/") or path, *rest) for path, *rest in endpoints]
