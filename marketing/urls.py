from __future__ import annotations

from benchbarrier.api.urls import Router
from marketing.views import CustomerViewSet, SegmentViewSet

router = Router()
router.register("customers", CustomerViewSet, basename="customer")
router.register("segments", SegmentViewSet, basename="segment")

urlpatterns = router.urls
