"""`/api/monitoring/...` (scope `admin`): the alert rules with their thresholds and what
holds now, the alert history (filters), and silences (list, create, end)."""

from __future__ import annotations

import django_filters
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from benchbarrier import clock
from benchbarrier.alert_signals import get_signal
from benchbarrier.api import serializers as base
from benchbarrier.api.filters import FilterSet, time_range
from benchbarrier.api.pagination import cursor_pages
from benchbarrier.models import AlertEvent, AlertEventKind, AlertRule, Scope, Silence
from benchbarrier.services.audit import Actor, record_audit


class StateSerializer(serializers.Serializer):
    group = serializers.CharField()
    status = serializers.CharField()
    value = serializers.DecimalField(max_digits=18, decimal_places=4)
    since = serializers.DateTimeField()
    firing_since = serializers.DateTimeField(allow_null=True)


class RuleSerializer(serializers.ModelSerializer):
    unit = serializers.SerializerMethodField()
    states = StateSerializer(many=True, read_only=True, help_text="What holds now, by group.")

    class Meta:
        model = AlertRule
        fields = ["key", "name", "description", "signal", "unit", "comparison", "threshold",
                  "window", "min_count", "for_duration", "repeat_interval", "severity",
                  "enabled", "states"]  # fmt: skip

    def get_unit(self, rule: AlertRule) -> str:
        signal = get_signal(rule.signal)
        return signal.unit if signal else ""


class RuleViewSet(viewsets.ReadOnlyModelViewSet):
    """The alert rules (edited in the admin)."""

    required_scope = Scope.ADMIN
    queryset = AlertRule.objects.prefetch_related("states").order_by("key")
    serializer_class = RuleSerializer
    lookup_field = "key"
    filterset_fields = ["enabled", "severity", "signal"]


class EventSerializer(serializers.ModelSerializer):
    rule = serializers.SlugRelatedField(slug_field="key", read_only=True)

    class Meta:
        model = AlertEvent
        fields = ["id", "rule", "group", "kind", "value", "message", "link", "notified",
                  "silenced_by", "created_at"]  # fmt: skip


class EventFilter(FilterSet):
    rule = django_filters.CharFilter(field_name="rule__key", help_text="A rule's key.")
    kind = django_filters.ChoiceFilter(choices=AlertEventKind.choices)
    group = django_filters.CharFilter()
    since, until = time_range("created_at", "transitions")

    class Meta:
        model = AlertEvent
        fields = ["notified"]


class AlertViewSet(viewsets.ReadOnlyModelViewSet):
    """Every transition of every alert: pending, fired, reminded, resolved."""

    required_scope = Scope.ADMIN
    queryset = AlertEvent.objects.select_related("rule")
    serializer_class = EventSerializer
    filterset_class = EventFilter
    pagination_class = cursor_pages("-created_at")


class SilenceSerializer(base.ModelSerializer):
    rule = serializers.SlugRelatedField(slug_field="key", queryset=AlertRule.objects.all(),
                                        allow_null=True, required=False,
                                        help_text="A rule's key; null: every rule.")  # fmt: skip
    active = serializers.SerializerMethodField()

    class Meta:
        model = Silence
        fields = ["id", "rule", "group", "ends_at", "reason", "created_by", "created_at",
                  "active"]  # fmt: skip
        read_only_fields = ["created_by", "created_at"]

    def get_active(self, silence: Silence) -> bool:
        return silence.ends_at > clock.now()

    def validate_ends_at(self, value: object) -> object:
        if value <= clock.now():  # type: ignore[operator]
            raise ValidationError("must be in the future")
        return value


class SilenceViewSet(mixins.CreateModelMixin, mixins.DestroyModelMixin,
                     viewsets.ReadOnlyModelViewSet):  # fmt: skip
    """Silences: no notifications for a rule (or every rule) until `endsAt`. DELETE ends
    one now (it stays in the list, inactive)."""

    required_scope = Scope.ADMIN
    queryset = Silence.objects.select_related("rule")
    serializer_class = SilenceSerializer

    def perform_create(self, serializer: SilenceSerializer) -> None:
        actor = Actor.from_request(self.request)
        silence = serializer.save(created_by=actor.label[:150])
        record_audit(action="alert.silenced", target=silence, request=self.request,
                     changes={"endsAt": silence.ends_at.isoformat()})  # fmt: skip

    def destroy(self, request: Request, *args: object, **kwargs: object) -> Response:
        silence = self.get_object()
        silence.ends_at = min(silence.ends_at, clock.now())
        silence.save(update_fields=["ends_at"])
        record_audit(action="alert.silence_ended", target=silence, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)
