"""`/api/audit-log`: read the audit log (scope `admin`)."""

from __future__ import annotations

import django_filters
from rest_framework import serializers, viewsets

from benchbarrier.api.filters import FilterSet, time_range
from benchbarrier.api.pagination import cursor_pages
from benchbarrier.models import ActorType, AuditLogEntry, Scope


class AuditLogEntrySerializer(serializers.ModelSerializer):
    target_type = serializers.SerializerMethodField()

    class Meta:
        model = AuditLogEntry
        fields = [
            "id",
            "created_at",
            "actor_type",
            "actor_label",
            "action",
            "target_type",
            "target_id",
            "target_repr",
            "changes",
            "request_id",
            "ip_address",
        ]

    def get_target_type(self, entry: AuditLogEntry) -> str | None:
        if entry.target_type is None:
            return None
        return f"{entry.target_type.app_label}.{entry.target_type.model}"


class AuditLogFilter(FilterSet):
    action = django_filters.CharFilter(help_text="Exact action, e.g. `api_key.rotated`.")
    action_prefix = django_filters.CharFilter(
        field_name="action", lookup_expr="startswith", help_text="e.g. `api_key.`"
    )
    actor_type = django_filters.ChoiceFilter(choices=ActorType.choices)
    target_id = django_filters.CharFilter()
    request_id = django_filters.CharFilter()
    since, until = time_range("created_at", "entries made")

    class Meta:
        model = AuditLogEntry
        fields: list[str] = []


class AuditLogViewSet(viewsets.ReadOnlyModelViewSet):
    required_scope = Scope.ADMIN
    queryset = AuditLogEntry.objects.select_related("target_type")
    serializer_class = AuditLogEntrySerializer
    filterset_class = AuditLogFilter
    pagination_class = cursor_pages("-created_at")
    search_fields = ["action", "actor_label", "target_repr"]
