"""OpenAPI: the API-key security scheme and the shared error responses."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import get_doc
from drf_spectacular.utils import OpenApiResponse

from benchbarrier.api.serializers import ErrorSerializer, RejectUnknownFieldsMixin

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
    """Adds the shared error responses to every operation that does not describe its own,
    and says of every request body whose serializer refuses unknown fields that it takes no
    others (`additionalProperties: false`)."""

    def _map_serializer_field(self, field: Any, direction: str,
                              bypass_extensions: bool = False) -> dict[str, Any]:  # fmt: skip
        """A list that may not be empty says so (`minItems: 1`)."""
        mapped = super()._map_serializer_field(field, direction, bypass_extensions)
        if mapped.get("type") == "array" and getattr(field, "allow_empty", True) is False:
            mapped["minItems"] = max(mapped.get("minItems", 0), 1)
        return mapped

    def _map_basic_serializer(self, serializer: Any, direction: str) -> dict[str, Any]:
        mapped = super()._map_basic_serializer(serializer, direction)
        if isinstance(serializer, RejectUnknownFieldsMixin):
            if direction == "request":
                mapped["additionalProperties"] = False
            if mapped.get("description") == get_doc(RejectUnknownFieldsMixin):
                del mapped["description"]  # the mixin's docstring, not the serializer's
        return mapped

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


NO_NUL = "^[^\\x00]*$"  # Django refuses a NUL character in any form value


def query_parameters_as_served(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Query parameters as the API serves them: an optional one sent empty (`?since=`)
    filters nothing, as a form's blank field would (`allowEmptyValue`; lists such as
    `?status=a&status=b` take no empty item), and no text may hold a NUL character."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if (parameter.get("in") == "query" and not parameter.get("required")
                        and parameter.get("schema", {}).get("type") != "array"):  # fmt: skip
                    parameter["allowEmptyValue"] = True
                schema = parameter.get("schema", {})
                if schema.get("type") == "string" and not {"pattern", "format", "enum"} & set(
                        schema):  # fmt: skip
                    schema["pattern"] = NO_NUL
    return result
