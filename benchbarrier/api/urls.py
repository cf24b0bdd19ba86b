from __future__ import annotations

from rest_framework.routers import SimpleRouter

from benchbarrier.api.audit import AuditLogViewSet
from benchbarrier.api.keys import APIKeyViewSet
from benchbarrier.api.monitoring import AlertViewSet, RuleViewSet, SilenceViewSet


class Router(SimpleRouter):
    """Paths without a trailing slash, as the seed writes them; one is accepted too
    (never a redirect, which would turn a POST into a GET)."""

    def __init__(self) -> None:
        super().__init__()
        self.trailing_slash = "/?"


router = Router()
router.register("keys", APIKeyViewSet, basename="api-key")
router.register("audit-log", AuditLogViewSet, basename="audit-log")
router.register("monitoring/rules", RuleViewSet, basename="alert-rule")
router.register("monitoring/alerts", AlertViewSet, basename="alert")
router.register("monitoring/silences", SilenceViewSet, basename="silence")

urlpatterns = router.urls
