from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import MethodNotAllowed, NotFound, ParseError, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from benchbarrier.api.errors import Conflict, json_error
from benchbarrier.api.filters import FilterSet, IdFilter, StrictBooleanFilter, time_range
from benchbarrier.api.pagination import cursor_pages
from benchbarrier.api.parsers import RawParser, load_json
from benchbarrier.models import APIKey, Scope
from benchbarrier.services.audit import Actor
from workflows import hooks, serializers, services
from workflows.models import ExecutionStatus, Workflow, WorkflowExecution
from workflows.services import delete_workflow, save_workflow
from workflows.simulation import simulate

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description="A repeated call with the same key returns the run the first one started.",
)
EXECUTE_QUERY = [
    OpenApiParameter("userId", str, description="The site user id the run is about."),
    OpenApiParameter("context", str, description="JSON object: the run's trigger data."),
]


class WorkflowFilter(FilterSet):
    archived = StrictBooleanFilter(
        method="filter_archived",
        help_text="true: the archived workflows (deleted with runs); default: the others.",
    )

    class Meta:
        model = Workflow
        fields = ["trigger_type", "is_paused"]

    def filter_archived(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        return queryset if value is None else queryset.filter(archived_at__isnull=not value)


class WorkflowViewSet(viewsets.ModelViewSet):
    """Workflows (scope `automation`)."""

    required_scope = Scope.AUTOMATION
    queryset = Workflow.objects.all()
    serializer_class = serializers.WorkflowSerializer
    filterset_class = WorkflowFilter

    def get_queryset(self) -> QuerySet[Workflow]:
        found = super().get_queryset()
        if self.action == "list" and "archived" not in self.request.query_params:
            found = found.filter(archived_at__isnull=True)  # archived: asked for, or by id
        return found

    search_fields = ["name", "description"]
    ordering_fields = ["name", "created_at", "updated_at"]

    def perform_create(self, serializer: serializers.WorkflowSerializer) -> None:
        serializer.instance = save_workflow(
            actor=Actor.from_request(self.request),
            request=self.request,
            **serializer.validated_data,
        )

    def perform_update(self, serializer: serializers.WorkflowSerializer) -> None:
        serializer.instance = save_workflow(
            workflow=serializer.instance,
            actor=Actor.from_request(self.request),
            request=self.request,
            **serializer.validated_data,
        )

    @extend_schema(responses={204: None, 200: serializers.WorkflowSerializer})
    def destroy(self, request: Request, *args: object, **kwargs: object) -> Response:
        """Delete a workflow that never ran (204); one with runs is archived instead (200
        with the archived workflow): paused, out of the list, history kept, restorable."""
        workflow = self.get_object()
        if delete_workflow(workflow=workflow, actor=Actor.from_request(request), request=request):
            return Response(serializers.WorkflowSerializer(workflow).data)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: serializers.WorkflowSerializer})
    @action(detail=True, methods=["post"])
    def restore(self, request: Request, pk: str) -> Response:
        """An archived workflow back in the list (still paused: resume it to run)."""
        workflow = services.restore_workflow(
            workflow=self.get_object(), actor=Actor.from_request(request), request=request
        )
        return Response(serializers.WorkflowSerializer(workflow).data)

    @extend_schema(request=serializers.ValidateSerializer, responses={200: None})
    @action(detail=False, methods=["post"])
    def validate(self, request: Request) -> Response:
        """Check a definition without saving it: 200 {"valid": true}, or 400 naming each
        problem by path (`steps[3].ifTrue[0].template`)."""
        serializers.ValidateSerializer(data=request.data).is_valid(raise_exception=True)
        return Response({"valid": True})

    @extend_schema(
        methods=["POST"],
        request=serializers.ExecuteSerializer,
        responses={201: serializers.ExecutionSerializer, 200: serializers.ExecutionSerializer},
        parameters=[IDEMPOTENCY_KEY],
    )
    @extend_schema(
        methods=["GET"],
        parameters=[IDEMPOTENCY_KEY, *EXECUTE_QUERY],
        responses={201: serializers.ExecutionSerializer, 200: serializers.ExecutionSerializer},
        description="The seed's form: API-key callers only (a header cannot be forged by "
        "another site); admin sessions must POST.",
    )
    @action(detail=True, methods=["post", "get"])
    def execute(self, request: Request, pk: str) -> Response:
        """Start a run now with an optional context (409 when paused or re-entry forbids;
        400 naming `userId` when the run emails its customer and there is none). With an
        `Idempotency-Key` header a repeated call answers 200 with the run it started."""
        if request.method == "GET" and not isinstance(request.auth, APIKey):
            raise MethodNotAllowed(
                "GET", detail="Sessions must POST to execute (GET is for API keys)."
            )
        data = request.query_params.dict() if request.method == "GET" else request.data
        params = serializers.ExecuteSerializer(data=data)
        params.is_valid(raise_exception=True)
        workflow = self.get_object()
        start = {
            "context": params.validated_data["context"],
            "user_id": params.validated_data["user_id"],
            "actor": Actor.from_request(request),
            "request": request,
        }
        key = request.headers.get("Idempotency-Key", "").strip()[:200]
        try:
            if key:
                execution, created = services.start_execution_once(
                    workflow, idempotency_key=key, **start
                )
            else:
                execution, created = services.start_execution(workflow, **start), True
        except services.StartRefused as exc:
            raise ValidationError({exc.field: [str(exc)]}) from None
        if execution is None:
            reason = (
                "the workflow is paused"
                if workflow.is_paused
                else ("this customer already has a run and the re-entry rule forbids another")
            )
            raise Conflict(f"Not started: {reason}.")
        return Response(
            serializers.ExecutionSerializer(execution).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(
        request=serializers.SimulateSerializer,
        responses={200: serializers.SimulatedStepSerializer(many=True)},
    )
    @action(detail=True, methods=["post"])
    def simulate(self, request: Request, pk: str) -> Response:
        """The path a run would take for this context: nothing is sent or queued."""
        params = serializers.SimulateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        workflow = self.get_object()
        context = services.run_context(workflow, data["context"], data["user_id"])
        steps = simulate(workflow.steps, context, checks=data["checks"], events=data["events"])
        return Response({"steps": serializers.SimulatedStepSerializer(steps, many=True).data})

    @extend_schema(request=None, responses={200: serializers.WorkflowSerializer})
    @action(detail=True, methods=["post"])
    def pause(self, request: Request, pk: str) -> Response:
        """No new runs; active runs stop before their next step (`paused`)."""
        workflow = self.get_object()
        services.pause_workflow(
            workflow=workflow, actor=Actor.from_request(request), request=request
        )
        return Response(serializers.WorkflowSerializer(workflow).data)

    @extend_schema(request=None, responses={200: serializers.WorkflowSerializer})
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: str) -> Response:
        """Paused runs continue where they were; expired waits go on at once."""
        workflow = self.get_object()
        services.resume_workflow(
            workflow=workflow, actor=Actor.from_request(request), request=request
        )
        return Response(serializers.WorkflowSerializer(workflow).data)


class ExecutionFilter(FilterSet):
    workflow = IdFilter()
    status = django_filters.MultipleChoiceFilter(choices=ExecutionStatus.choices)
    customer = django_filters.CharFilter(field_name="user_id", help_text="The site user id.")
    started_after, started_before = time_range("started_at", "runs started")

    class Meta:
        model = WorkflowExecution
        fields: list[str] = []


class ExecutionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Workflow runs (scope `automation`)."""

    required_scope = Scope.AUTOMATION
    queryset = WorkflowExecution.objects.select_related("workflow")
    filterset_class = ExecutionFilter
    pagination_class = cursor_pages("-started_at")
    search_fields: list[str] = []
    ordering_fields: list[str] = []

    def get_serializer_class(self) -> type:
        if self.action == "retrieve":
            return serializers.ExecutionDetailSerializer
        return serializers.ExecutionSerializer

    @extend_schema(request=None, responses={200: serializers.ExecutionSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        """Stop an active run (409 for a finished one)."""
        try:
            execution = services.cancel_execution(
                execution=self.get_object(), actor=Actor.from_request(request), request=request
            )
        except services.WorkflowStateError as exc:
            raise Conflict(str(exc)) from None
        return Response(serializers.ExecutionSerializer(execution).data)


class HookView(APIView):
    """`POST /api/automation/hooks/<token>`: start a webhook-triggered workflow. Signed
    with the workflow's secret (see workflows.hooks); no API key."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [RawParser]

    @extend_schema(request=None, responses={202: None})
    def post(self, request: Request, token: str) -> Response:
        workflow = Workflow.objects.filter(webhook_token=token, trigger_type="webhook").first()
        if workflow is None:
            raise NotFound("No workflow hook at this address.")
        body = request.data if isinstance(request.data, bytes) else b""
        try:
            hooks.verify(
                secrets=hooks.secrets_of(workflow),
                timestamp=request.headers.get("X-Timestamp"),
                signature=request.headers.get("X-Signature"),
                body=body,
            )
            hooks.remember(request.headers.get("X-Signature", ""))
        except hooks.HookRefused as exc:
            code = "replayed" if exc.status == 409 else "invalid_signature"
            return json_error(request, exc.status, code, str(exc))
        try:
            payload = load_json(body or b"{}")
        except ParseError:
            raise ValidationError("The body must be JSON, nested at most 64 deep.") from None
        if not isinstance(payload, dict):
            raise ValidationError("The body must be a JSON object.")
        try:
            execution = services.start_execution(
                workflow,
                context=payload,
                user_id=str(payload.get("userId", "")),
                actor=Actor.system(f"webhook {workflow.pk}"),
            )
        except services.StartRefused as exc:
            raise ValidationError({exc.field: [str(exc)]}) from None
        if execution is None:
            return Response({"started": False}, status=status.HTTP_200_OK)
        return Response(
            {"started": True, "execution_id": execution.pk}, status=status.HTTP_202_ACCEPTED
        )
