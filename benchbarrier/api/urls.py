from __future__ import annotations

from rest_framework.routers import SimpleRouter

from benchbarrier.api.audit import AuditLogViewSet
from benchbarrier.api.keys import APIKeyViewSet


class Router(SimpleRouter):
    """Paths without a trailing slash, as the seed writes them; one is accepted too
    (never a redirect, which would turn a POST into a GET)."""

    def __init__(self) -> None:
        super().__init__()
        self.trailing_slash = "/?"


router = Router()
router.register("keys", APIKeyViewSet, basename="api-key")
router.register("audit-log", AuditLogViewSet, basename="audit-log")

urlpatterns = router.urls
