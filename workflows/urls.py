from __future__ import annotations

from django.urls import path

from benchbarrier.api.urls import Router
from workflows.views import ExecutionViewSet, HookView, WorkflowViewSet

router = Router()
router.register("workflows", WorkflowViewSet, basename="workflow")
router.register("executions", ExecutionViewSet, basename="execution")

urlpatterns = [
    path("hooks/<str:token>", HookView.as_view(), name="workflow-hook"),
    *router.urls,
]
