from __future__ import annotations

from django.urls import re_path

from analytics.views import EventBatchView, EventView

urlpatterns = [
    re_path(r"^events/?$", EventView.as_view(), name="analytics-events"),
    re_path(r"^events/batch/?$", EventBatchView.as_view(), name="analytics-events-batch"),
]
