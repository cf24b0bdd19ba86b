"""The campaigns API (scope `marketing`): thin views over `marketing.campaigns`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from benchbarrier.api.errors import Conflict
from benchbarrier.api.filters import FilterSet
from benchbarrier.api.pagination import cursor_pages
from benchbarrier.models import Scope
from benchbarrier.services.audit import Actor
from marketing.campaigns import abtest, audience, metrics, sequences, services
from marketing.campaigns import serializers as s
from marketing.campaigns.models import Campaign, CampaignKind, CampaignSend, SendStatus


def _errors(exc: services.CampaignError | sequences.SequenceStepsError) -> ValidationError:
    detail: dict[str, list[str]] = {}
    for field, message in exc.errors:
        detail.setdefault(field, []).append(message)
    return ValidationError(detail)


class CampaignFilter(FilterSet):
    status = django_filters.CharFilter()
    type = django_filters.CharFilter()

    class Meta:
        model = Campaign
        fields: list[str] = []


class CampaignViewSet(viewsets.ModelViewSet):
    """Broadcasts: make one, send it (now or at a time), watch it, pause, resume,
    cancel; test sends before launch; results with the A/B decision."""

    required_scope = Scope.MARKETING
    queryset = Campaign.objects.filter(kind=CampaignKind.BROADCAST).select_related(
        "segment", "template"
    )
    serializer_class = s.CampaignSerializer
    filterset_class = CampaignFilter
    search_fields = ["name"]
    ordering_fields = ["created_at", "name"]

    def filter_queryset(self, queryset: Any) -> Any:
        """Filters pick campaigns in the list only (a send's ?status= is the send's)."""
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    def perform_create(self, serializer: s.CampaignSerializer) -> None:
        self._save(Campaign(**serializer.validated_data), serializer)

    def perform_update(self, serializer: s.CampaignSerializer) -> None:
        campaign = serializer.instance
        for name, value in serializer.validated_data.items():
            setattr(campaign, name, value)
        self._save(campaign, serializer)

    def _save(self, campaign: Campaign, serializer: s.CampaignSerializer) -> None:
        if campaign.pk is None and self.request.user.is_authenticated:
            campaign.created_by = self.request.user
        try:
            serializer.instance = services.save_campaign(
                campaign=campaign, actor=Actor.from_request(self.request), request=self.request
            )
        except services.CampaignError as exc:
            raise _errors(exc) from None
        except services.CampaignStateError as exc:
            raise Conflict(str(exc)) from None

    @extend_schema(request=s.LaunchSerializer, responses={202: s.CampaignSerializer})
    @action(detail=True, methods=["post"])
    def send(self, request: Request, pk: str) -> Response:
        """Send now (an empty body) or at `sendAt`; the audience is frozen when it starts."""
        params = s.LaunchSerializer(data=request.data or {})
        params.is_valid(raise_exception=True)
        campaign = self._act(
            services.launch, request, send_at=params.validated_data.get("send_at")
        )
        return Response(s.CampaignSerializer(campaign).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={200: s.CampaignSerializer})
    @action(detail=True, methods=["post"])
    def pause(self, request: Request, pk: str) -> Response:
        """Stop at the next chunk; what is not sent waits."""
        return Response(s.CampaignSerializer(self._act(services.pause, request)).data)

    @extend_schema(request=None, responses={200: s.CampaignSerializer})
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: str) -> Response:
        return Response(s.CampaignSerializer(self._act(services.resume, request)).data)

    @extend_schema(request=None, responses={200: s.CampaignSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        """Stop for good: what was not sent stays unsent."""
        return Response(s.CampaignSerializer(self._act(services.cancel, request)).data)

    def _act(self, change: Callable[..., Campaign], request: Request, **kwargs: Any) -> Campaign:
        try:
            return change(
                campaign=self.get_object(),
                actor=Actor.from_request(request),
                request=request,
                **kwargs,
            )
        except services.CampaignError as exc:
            raise _errors(exc) from None
        except services.CampaignStateError as exc:
            raise Conflict(str(exc)) from None

    @extend_schema(request=s.TestSendSerializer, responses={202: None})
    @action(detail=True, methods=["post"])
    def test(self, request: Request, pk: str) -> Response:
        """The email (each variant's) to these addresses now, marked as a test."""
        params = s.TestSendSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        deliveries = services.send_test(
            campaign=self.get_object(),
            emails=params.validated_data["emails"],
            actor=Actor.from_request(request),
        )
        return Response(
            {"deliveryIds": [d.pk for d in deliveries]}, status=status.HTTP_202_ACCEPTED
        )

    @extend_schema(request=None, responses={200: None})
    @action(detail=True, methods=["get"])
    def audience(self, request: Request, pk: str) -> Response:
        """How many the segment holds and how many can receive the email now."""
        campaign = self.get_object()
        if campaign.segment is None:
            raise ValidationError({"segmentId": ["the campaign has no segment yet"]})
        size = audience.size_of(campaign)
        return Response(
            {"inSegment": size.in_segment, "canReceive": size.can_receive, "text": str(size)}
        )

    @extend_schema(responses={200: s.CampaignSendSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def sends(self, request: Request, pk: str) -> Response:
        """Each recipient's send, newest first (cursor pages; ?status=, ?variant=)."""
        sends = CampaignSend.objects.filter(campaign=self.get_object()).select_related("customer")
        for name in ("status", "variant"):
            if request.query_params.get(name):
                sends = sends.filter(**{name: request.query_params[name]})
        wanted = request.query_params.get("status")
        if wanted and wanted not in SendStatus.values:
            raise ValidationError({"status": [f"one of {', '.join(SendStatus.values)}"]})
        pages = cursor_pages("-id")()
        page = pages.paginate_queryset(sends, request, view=self)
        return pages.get_paginated_response(s.CampaignSendSerializer(page, many=True).data)

    @extend_schema(responses={200: None})
    @action(detail=True, methods=["get"])
    def results(self, request: Request, pk: str) -> Response:
        """The campaign's figures now, and per variant the A/B test's (with the decision
        once it is made)."""
        campaign = self.get_object()
        body: dict[str, Any] = {"metrics": metrics.refresh(campaign)}
        if (campaign.ab_test or {}).get("variants"):
            body["decision"] = campaign.decision or None
            body["variants"] = abtest.live_variants(campaign)
        return Response(body)


class SequenceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The seed's campaign templates as running sequences, by their keys
    (`welcome-series`, `win-back`, `post-purchase`)."""

    required_scope = Scope.MARKETING
    queryset = Campaign.objects.filter(kind=CampaignKind.SEQUENCE).order_by("key")
    serializer_class = s.SequenceSerializer
    lookup_field = "key"
    pagination_class = None

    @extend_schema(request=s.SequenceStepsSerializer, responses={200: s.SequenceSerializer})
    def partial_update(self, request: Request, key: str) -> Response:
        """New steps (delays in days from the start, subjects, templates, A/B variants);
        the sequence's workflow follows, runs under way keep theirs. Without `steps`,
        nothing changes."""
        params = s.SequenceStepsSerializer(data=request.data, partial=True)
        params.is_valid(raise_exception=True)
        if "steps" not in params.validated_data:
            return Response(s.SequenceSerializer(self.get_object()).data)
        try:
            campaign = sequences.save_sequence(
                campaign=self.get_object(),
                steps=params.validated_data["steps"],
                actor=Actor.from_request(request),
                request=request,
            )
        except sequences.SequenceStepsError as exc:
            raise _errors(exc) from None
        return Response(s.SequenceSerializer(campaign).data)

    @extend_schema(request=s.SequenceMemberSerializer, responses={201: None})
    @action(detail=True, methods=["post"])
    def start(self, request: Request, key: str) -> Response:
        """Start the sequence for a customer now."""
        params = s.SequenceMemberSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        try:
            run = sequences.start_for(
                campaign=self.get_object(),
                user_id=params.validated_data["user_id"],
                actor=Actor.from_request(request),
            )
        except sequences.SequenceError as exc:
            raise ValidationError({"userId": [str(exc)]}) from None
        if run is None:
            raise Conflict("Not started: the sequence is paused, or this customer is in it.")
        return Response({"executionId": run.pk}, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.SequenceMemberSerializer, responses={200: None})
    @action(detail=True, methods=["post"])
    def stop(self, request: Request, key: str) -> Response:
        """Take a customer out of the sequence (their running run ends)."""
        params = s.SequenceMemberSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        stopped = sequences.stop_for(
            campaign=self.get_object(),
            user_id=params.validated_data["user_id"],
            actor=Actor.from_request(request),
        )
        if not stopped:
            raise NotFound("This customer is not in the sequence.")
        return Response({"stopped": stopped})

    @extend_schema(request=None, responses={200: s.SequenceSerializer})
    @action(detail=True, methods=["post"])
    def pause(self, request: Request, key: str) -> Response:
        """No new customer enters; those in it wait before their next email."""
        return Response(s.SequenceSerializer(self._switch(request, on=False)).data)

    @extend_schema(request=None, responses={200: s.SequenceSerializer})
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, key: str) -> Response:
        return Response(s.SequenceSerializer(self._switch(request, on=True)).data)

    def _switch(self, request: Request, *, on: bool) -> Campaign:
        return sequences.switch(
            campaign=self.get_object(), on=on, actor=Actor.from_request(request), request=request
        )
