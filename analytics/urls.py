from __future__ import annotations

from django.urls import re_path

from analytics.metrics_views import (
    CohortView,
    ExportView,
    FunnelView,
    MetricListView,
    QueryView,
)
from analytics.report_views import ReportViewSet
from analytics.views import EventBatchView, EventView
from benchbarrier.api.urls import Router

router = Router()
router.register("reports", ReportViewSet, basename="report")

urlpatterns = [
    re_path(r"^events/?$", EventView.as_view(), name="analytics-events"),
    re_path(r"^events/batch/?$", EventBatchView.as_view(), name="analytics-events-batch"),
    re_path(r"^metrics/?$", MetricListView.as_view(), name="analytics-metrics"),
    re_path(r"^query/?$", QueryView.as_view(), name="analytics-query"),
    re_path(r"^funnel/?$", FunnelView.as_view(), name="analytics-funnel"),
    re_path(r"^cohorts/?$", CohortView.as_view(), name="analytics-cohorts"),
    re_path(r"^exports/?$", ExportView.as_view(), name="analytics-exports"),
]
urlpatterns += router.urls
