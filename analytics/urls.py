from __future__ import annotations

from django.urls import re_path

from analytics.metrics_views import MetricListView, QueryView
from analytics.views import EventBatchView, EventView

urlpatterns = [
    re_path(r"^events/?$", EventView.as_view(), name="analytics-events"),
    re_path(r"^events/batch/?$", EventBatchView.as_view(), name="analytics-events-batch"),
    re_path(r"^metrics/?$", MetricListView.as_view(), name="analytics-metrics"),
    re_path(r"^query/?$", QueryView.as_view(), name="analytics-query"),
]
