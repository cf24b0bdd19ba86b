from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from rest_framework import exceptions, permissions

from benchbarrier.models import APIKey


class HasScope(permissions.BasePermission):
    """Allows an API key that carries the view's `required_scope`, or a staff session.

    Every API view declares `required_scope`; a view without one is refused, so a
    forgotten declaration fails closed.
    """

    def has_permission(self, request: HttpRequest, view: Any) -> bool:
        scope = getattr(view, "required_scope", None)
        if scope is None:
            return False
        if isinstance(request.auth, APIKey):
            if request.auth.has_scope(scope):
                return True
            raise exceptions.PermissionDenied(
                f'This API key lacks the "{scope}" scope.', code="missing_scope"
            )
        user = request.user
        if user is None or not user.is_authenticated:
            raise exceptions.NotAuthenticated(
                "Authentication required: send `Authorization: Api-Key <key>`."
            )
        if not user.is_staff:
            raise exceptions.PermissionDenied("Only staff users may use the API with a session.")
        return True
