from __future__ import annotations

from collections.abc import Callable

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from benchbarrier.api.errors import Conflict
from benchbarrier.api.filters import FilterSet, time_range
from benchbarrier.api.pagination import cursor_pages
from benchbarrier.models import Scope
from benchbarrier.services.audit import Actor
from jobs import services
from jobs.models import Job, JobStatus
from jobs.serializers import BulkCreateJobsSerializer, CreateJobSerializer, JobSerializer


class JobFilter(FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=JobStatus.choices)
    job_type = django_filters.CharFilter()
    created_after, created_before = time_range("created_at", "jobs created")

    class Meta:
        model = Job
        fields: list[str] = []


class JobViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The durable job queue (scope `automation`)."""

    required_scope = Scope.AUTOMATION
    queryset = Job.objects.all()
    serializer_class = JobSerializer
    filterset_class = JobFilter
    pagination_class = cursor_pages("-created_at")
    search_fields: list[str] = []
    ordering_fields: list[str] = []

    @extend_schema(request=CreateJobSerializer, responses={201: JobSerializer, 200: JobSerializer})
    def create(self, request: Request) -> Response:
        """Enqueue a job. A repeated `idempotencyKey` answers 200 with the first job."""
        params = CreateJobSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        spec = params.validated_data["spec"]
        job, created = services.enqueue_spec(
            spec, actor=Actor.from_request(request), request=request
        )
        return Response(
            JobSerializer(job).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(request=BulkCreateJobsSerializer, responses={201: JobSerializer(many=True)})
    @action(detail=False, methods=["post"])
    def bulk(self, request: Request) -> Response:
        """Enqueue up to 1,000 jobs at once: all or nothing, errors name `jobs[i].field`."""
        params = BulkCreateJobsSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        jobs = services.enqueue_many(
            [item["spec"] for item in params.validated_data["jobs"]],
            actor=Actor.from_request(request),
            request=request,
        )
        return Response(JobSerializer(jobs, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: JobSerializer})
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str) -> Response:
        """Run a failed or cancelled job again (409 for any other status)."""
        return self._change_state(request, services.retry_job)

    @extend_schema(responses={200: JobSerializer})
    def destroy(self, request: Request, pk: str) -> Response:
        """Cancel a pending or retrying job (409 for any other status). The row stays."""
        return self._change_state(request, services.cancel_job)

    def _change_state(self, request: Request, change: Callable[..., Job]) -> Response:
        try:
            job = change(job=self.get_object(), actor=Actor.from_request(request), request=request)
        except services.JobStateError as exc:
            raise Conflict(str(exc)) from None
        return Response(JobSerializer(job).data)
