from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from rest_framework import authentication, exceptions
from rest_framework_api_key.permissions import KeyParser

from benchbarrier.models import APIKey
from benchbarrier.services.api_keys import touch_api_key


class APIKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Api-Key <prefix>.<secret>`; the key becomes `request.auth`.

    A missing header lets other authenticators try (staff sessions); a wrong, revoked or
    expired key is a 401 that says which, without revealing whether the prefix exists.
    """

    keyword = "Api-Key"
    parser = KeyParser()

    def authenticate(self, request: HttpRequest) -> tuple[object, APIKey] | None:
        raw = self.parser.get(request)
        if raw is None:
            return None
        try:
            api_key = APIKey.objects.get_from_key(raw.strip())
        except APIKey.DoesNotExist:
            raise exceptions.AuthenticationFailed(
                "Invalid or revoked API key.", code="invalid_api_key"
            ) from None
        if api_key.has_expired:
            raise exceptions.AuthenticationFailed("This API key has expired.", code="expired")
        touch_api_key(api_key)
        return AnonymousUser(), api_key

    def authenticate_header(self, request: HttpRequest) -> str:
        return self.keyword
