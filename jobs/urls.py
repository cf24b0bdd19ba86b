from __future__ import annotations

from benchbarrier.api.urls import Router
from jobs.views import JobViewSet

router = Router()
router.register("jobs", JobViewSet, basename="job")

urlpatterns = router.urls
