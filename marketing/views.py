from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from benchbarrier.api.errors import Conflict
from benchbarrier.api.filters import FilterSet, IdFilter, StrictBooleanFilter, time_range
from benchbarrier.models import Scope
from benchbarrier.rules import describe_rules
from benchbarrier.services.audit import Actor
from marketing import serializers
from marketing.models import Customer, Segment, SegmentMember
from marketing.services import customers as customer_services
from marketing.services import privacy
from marketing.services import segments as segment_services


class CustomerFilter(FilterSet):
    email_opt_in = StrictBooleanFilter()
    sms_opt_in = StrictBooleanFilter()
    has_ordered = StrictBooleanFilter(method="filter_has_ordered")
    min_total_spent = django_filters.NumberFilter(field_name="total_spent", lookup_expr="gte")
    seen_after, seen_before = time_range("last_seen", "customers last seen")
    segment = IdFilter(field_name="segment_memberships__segment")
    external_id = django_filters.CharFilter()
    email = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = Customer
        fields: list[str] = []

    def filter_has_ordered(
        self, queryset: QuerySet[Customer], name: str, value: bool
    ) -> QuerySet[Customer]:
        return queryset.filter(order_count__gt=0) if value else queryset.filter(order_count=0)


EXTERNAL_ID = OpenApiParameter(
    "id", str, OpenApiParameter.PATH,
    description="The site's user id (`externalId`), as a data subject's request names them.",
)  # fmt: skip


class CustomerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Customers (scope `marketing`): identify, import, list and look up; export and erase
    one (GDPR)."""

    required_scope = Scope.MARKETING
    lookup_value_regex = "[^/]+"  # user ids may hold dots
    queryset = Customer.objects.all().order_by("-id")
    serializer_class = serializers.CustomerSerializer
    filterset_class = CustomerFilter
    search_fields = ["email", "name", "=external_id"]
    ordering_fields = ["total_spent", "order_count", "last_seen", "created_at", "id"]

    def get_serializer_class(self) -> type:
        if self.action == "retrieve":
            return serializers.CustomerDetailSerializer
        return serializers.CustomerSerializer

    @extend_schema(
        request=serializers.IdentifySerializer,
        responses={201: serializers.CustomerSerializer, 200: serializers.CustomerSerializer},
    )
    def create(self, request: Request) -> Response:
        """Identify: create (201) or update (200) the customer with this externalId or
        email. 409 when the email belongs to another customer."""
        params = serializers.IdentifySerializer(data=request.data)
        params.is_valid(raise_exception=True)
        (result,) = self._upsert([params.validated_data], request, path=None)
        return Response(
            serializers.CustomerSerializer(result.customer).data,
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )

    @extend_schema(
        request=serializers.BulkIdentifySerializer,
        responses={200: serializers.UpsertResultSerializer},
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request: Request) -> Response:
        """Identify up to 1,000 customers at once (imports): all or nothing, errors name
        `customers[i].field`."""
        params = serializers.BulkIdentifySerializer(data=request.data)
        params.is_valid(raise_exception=True)
        results = self._upsert(params.validated_data["customers"], request, path="customers")
        created = sum(1 for r in results if r.created)
        return Response(
            {
                "created": created,
                "updated": len(results) - created,
                "customers": serializers.CustomerSerializer(
                    [r.customer for r in results], many=True
                ).data,
            }
        )

    @extend_schema(parameters=[EXTERNAL_ID], request=None,
                   responses={202: serializers.ExportStartedSerializer})  # fmt: skip
    @action(detail=True, methods=["post"])
    def export(self, request: Request, pk: str) -> Response:
        """The GDPR access right: everything held about the customer with this
        **externalId**, in every app, as JSON files in a zip made by a `data.export` job
        (its result holds a signed link that expires). 404 when nothing is held."""
        try:
            job = privacy.request_export(external_id=pk, actor=Actor.from_request(request),
                                         request=request)  # fmt: skip
        except privacy.NoOneToErase as exc:
            raise NotFound(str(exc)) from None
        return Response({"job_id": job.pk}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(parameters=[EXTERNAL_ID], request=None,
                   responses={200: serializers.ErasureSerializer})  # fmt: skip
    def destroy(self, request: Request, pk: str) -> Response:
        """The GDPR erasure right, for the customer with this **externalId** (not `id`):
        their personal data is erased or irreversibly anonymised in every app, one
        transaction per app; figures (revenue, campaign results, the bot's) stay; their
        addresses stay suppressed as digests only. The answer's `reference` is the only
        name left for them. 404 when nothing is held, or they were erased already."""
        try:
            erasure = privacy.erase_customer(external_id=pk, actor=Actor.from_request(request),
                                             request=request)  # fmt: skip
        except privacy.NoOneToErase as exc:
            raise NotFound(str(exc)) from None
        return Response(serializers.ErasureSerializer(erasure).data)

    def _upsert(
        self, items: list[dict], request: Request, path: str | None
    ) -> list[customer_services.Upserted]:
        try:
            return customer_services.upsert_customers(
                items, actor=Actor.from_request(request), request=request
            )
        except customer_services.CustomerConflict as exc:
            field = exc.field if path is None else {path: {exc.index: {exc.field: [str(exc)]}}}
            raise Conflict({field: [str(exc)]} if path is None else field) from None


class SegmentViewSet(viewsets.ModelViewSet):
    """Customer segments (scope `marketing`): dynamic ones are computed from rules in
    the database, static ones are kept by hand."""

    required_scope = Scope.MARKETING
    queryset = Segment.objects.all()
    serializer_class = serializers.SegmentSerializer
    filterset_fields = ["kind"]
    search_fields = ["name", "description"]
    ordering_fields = ["name", "member_count", "created_at"]

    def perform_create(self, serializer: serializers.SegmentSerializer) -> None:
        serializer.instance = segment_services.save_segment(
            actor=Actor.from_request(self.request),
            request=self.request,
            **serializer.validated_data,
        )

    def perform_update(self, serializer: serializers.SegmentSerializer) -> None:
        serializer.instance = segment_services.save_segment(
            segment=serializer.instance,
            actor=Actor.from_request(self.request),
            request=self.request,
            **serializer.validated_data,
        )

    def perform_destroy(self, instance: Segment) -> None:
        segment_services.delete_segment(
            segment=instance, actor=Actor.from_request(self.request), request=self.request
        )

    @extend_schema(
        request=serializers.SegmentPreviewInputSerializer,
        responses={200: serializers.SegmentPreviewSerializer},
    )
    @action(detail=False, methods=["post"])
    def preview(self, request: Request) -> Response:
        """Count (and sample) the customers some rules match now, without saving."""
        params = serializers.SegmentPreviewInputSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        rules = params.validated_data["rules"]
        preview = segment_services.preview_segment(
            rules, sample=params.validated_data["sample_size"]
        )
        return Response(
            {
                "count": preview.count,
                "rules_text": describe_rules(rules),
                "sample": serializers.CustomerSerializer(preview.sample, many=True).data,
            }
        )

    @extend_schema(request=None, responses={200: serializers.RefreshResultSerializer})
    @action(detail=True, methods=["post"])
    def refresh(self, request: Request, pk: str) -> Response:
        """Recompute a dynamic segment now (it is also refreshed on save and on a
        schedule); publishes segment.entered / segment.exited."""
        try:
            result = segment_services.refresh_segment(segment=self.get_object())
        except segment_services.SegmentError as exc:
            raise Conflict(str(exc)) from None
        return Response(serializers.RefreshResultSerializer(result).data)

    @extend_schema(
        methods=["get"],
        request=None,
        responses={200: serializers.SegmentMemberSerializer(many=True)},
    )
    @extend_schema(
        methods=["post"],
        request=serializers.MemberChangeSerializer,
        responses={200: serializers.SegmentSerializer},
    )
    @action(detail=True, methods=["get", "post"])
    def members(self, request: Request, pk: str) -> Response:
        """GET: the members, newest first. POST: add customers to a static segment."""
        segment = self.get_object()
        if request.method == "POST":
            return self._change_members(request, segment, segment_services.add_members)
        members = (
            SegmentMember.objects.filter(segment=segment)
            .select_related("customer")
            .order_by("-joined_at", "-id")
        )
        page = self.paginate_queryset(members)
        return self.get_paginated_response(
            serializers.SegmentMemberSerializer(page, many=True).data
        )

    @extend_schema(
        request=serializers.MemberChangeSerializer, responses={200: serializers.SegmentSerializer}
    )
    @action(detail=True, methods=["post"], url_path="members/remove")
    def remove_members(self, request: Request, pk: str) -> Response:
        """Remove customers from a static segment."""
        return self._change_members(request, self.get_object(), segment_services.remove_members)

    def _change_members(self, request: Request, segment: Segment, change: object) -> Response:
        params = serializers.MemberChangeSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        customers = list(
            Customer.objects.filter(
                Q(pk__in=data.get("customer_ids", []))
                | Q(external_id__in=data.get("external_ids", []))
                | Q(email__in=[e.lower() for e in data.get("emails", [])])
            )
        )
        _require_all_found(data, customers)
        try:
            change(  # type: ignore[operator]
                segment=segment,
                customers=customers,
                actor=Actor.from_request(request),
                request=request,
            )
        except segment_services.SegmentError as exc:
            raise Conflict(str(exc)) from None
        segment.refresh_from_db()
        return Response(serializers.SegmentSerializer(segment).data)


def _require_all_found(data: dict, customers: list[Customer]) -> None:
    known = {
        "customer_ids": {c.pk for c in customers},
        "external_ids": {c.external_id for c in customers},
        "emails": {c.email for c in customers},
    }
    errors = {}
    for key, found in known.items():
        values = data.get(key, [])
        missing = [v for v in values if (v.lower() if key == "emails" else v) not in found]
        if missing:
            errors[key] = [f"No customer with {', '.join(map(str, missing[:20]))}."]
    if errors:
        raise ValidationError(errors)
