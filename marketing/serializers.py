from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from analytics.models import Event
from benchbarrier.api import serializers as base
from benchbarrier.rules import describe_rules
from marketing.models import Customer, Segment, SegmentMember
from marketing.models.customers import validate_timezone
from marketing.services.segments import SegmentError, validate_rules
from marketing.sms.phones import InvalidPhone, to_e164

MAX_BULK = 1000


class CustomerSerializer(serializers.ModelSerializer):
    total_spent = serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=False)

    class Meta:
        model = Customer
        fields = [
            "id", "external_id", "email", "name", "phone", "timezone", "locale",
            "email_opt_in", "email_opt_in_at", "email_opt_in_source",
            "sms_opt_in", "sms_opt_in_at", "sms_opt_in_source", "traits",
            "total_spent", "order_count", "last_order_at", "last_login", "product_views",
            "emails_sent", "emails_opened", "emails_clicked", "email_engagement",
            "first_seen", "last_seen", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class EventSerializer(serializers.ModelSerializer):
    class Meta:
        model = Event
        fields = ["id", "event_name", "session_id", "message_id", "timestamp", "properties"]
        read_only_fields = fields


class SegmentSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Segment
        fields = ["id", "name"]
        read_only_fields = fields


class CustomerDetailSerializer(CustomerSerializer):
    recent_events = serializers.SerializerMethodField(help_text="The latest 20 events.")
    segments = serializers.SerializerMethodField()

    class Meta(CustomerSerializer.Meta):
        fields = [*CustomerSerializer.Meta.fields, "segments", "recent_events"]
        read_only_fields = fields

    def get_recent_events(self, customer: Customer) -> list[dict[str, Any]]:
        if not customer.external_id:
            return []
        events = Event.objects.filter(user_id=customer.external_id).order_by("-timestamp")[:20]
        return EventSerializer(events, many=True).data

    def get_segments(self, customer: Customer) -> list[dict[str, Any]]:
        segments = Segment.objects.filter(memberships__customer=customer).order_by("name")
        return SegmentSummarySerializer(segments, many=True).data


class IdentifySerializer(base.Serializer):
    """Create or update a customer by externalId or email; only the fields sent change."""

    external_id = serializers.CharField(
        required=False, max_length=255, help_text="The site's user id."
    )
    email = serializers.EmailField(required=False, max_length=254)
    name = serializers.CharField(required=False, max_length=200, allow_blank=True)
    phone = serializers.CharField(
        required=False, allow_blank=True, max_length=40,
        help_text='Stored in E.164 ("+4915112345678"); write it with its country code.',
    )  # fmt: skip
    timezone = serializers.CharField(
        required=False, max_length=64, help_text="IANA, e.g. Europe/Paris."
    )
    locale = serializers.RegexField(
        r"^[a-zA-Z]{2,3}([-_][a-zA-Z0-9]{2,8})*$", required=False, max_length=16
    )
    email_opt_in = serializers.BooleanField(required=False)
    email_opt_in_at = serializers.DateTimeField(required=False, help_text="Default: now.")
    email_opt_in_source = serializers.CharField(
        required=False, max_length=100, help_text='Default: "api".'
    )
    sms_opt_in = serializers.BooleanField(required=False)
    sms_opt_in_at = serializers.DateTimeField(required=False)
    sms_opt_in_source = serializers.CharField(required=False, max_length=100)
    traits = serializers.DictField(
        required=False, help_text="Merged key by key; null removes a key."
    )

    def validate_phone(self, value: str) -> str:
        try:
            return to_e164(value) if value else ""
        except InvalidPhone as exc:
            raise serializers.ValidationError(str(exc)) from None

    def validate_timezone(self, value: str) -> str:
        try:
            validate_timezone(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("external_id") and not attrs.get("email"):
            raise serializers.ValidationError({"external_id": ["Give externalId, email or both."]})
        return attrs


class BulkIdentifySerializer(base.Serializer):
    customers = IdentifySerializer(many=True, allow_empty=False, max_length=MAX_BULK)

    def validate_customers(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        errors: dict[int, dict[str, list[str]]] = {}
        for key in ("external_id", "email"):
            first: dict[str, int] = {}
            for index, item in enumerate(items):
                value = item.get(key)
                if not value:
                    continue
                value = value.lower() if key == "email" else value
                if value in first:
                    errors.setdefault(index, {})[key] = [f"Repeats customers[{first[value]}]."]
                else:
                    first[value] = index
        if errors:
            raise serializers.ValidationError(errors)
        return items


class UpsertResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    customers = CustomerSerializer(many=True)


class SegmentSerializer(base.ModelSerializer):
    rules = serializers.JSONField(
        required=False,
        help_text='Rule list, e.g. [{"field": "total_spent", "operator": "greater_than", '
        '"value": 1000}]; see the README for the language.',
    )
    rules_text = serializers.SerializerMethodField(help_text="The rules in words.")

    class Meta:
        model = Segment
        fields = [
            "id", "name", "description", "kind", "rules", "rules_text", "member_count",
            "last_refreshed_at", "last_refresh_ms", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = [
            "id", "rules_text", "member_count", "last_refreshed_at", "last_refresh_ms",
            "created_at", "updated_at",
        ]  # fmt: skip

    def get_rules_text(self, segment: Segment) -> str:
        return describe_rules(segment.rules)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        kind = attrs.get("kind", getattr(self.instance, "kind", "dynamic"))
        rules = attrs.get("rules", getattr(self.instance, "rules", []))
        raise_rule_errors(kind, rules)
        return attrs


def raise_rule_errors(kind: str, rules: Any) -> None:
    try:
        validate_rules(kind, rules)
    except SegmentError as exc:
        detail: dict[str, list[serializers.ErrorDetail]] = {}
        for path, message in exc.errors:
            detail.setdefault(path, []).append(serializers.ErrorDetail(message, "invalid_rule"))
        raise serializers.ValidationError(detail) from None


class SegmentPreviewInputSerializer(base.Serializer):
    rules = serializers.JSONField()
    sample_size = serializers.IntegerField(required=False, default=10, min_value=0, max_value=100)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        raise_rule_errors("dynamic", attrs["rules"])
        return attrs


class SegmentPreviewSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    rules_text = serializers.CharField()
    sample = CustomerSerializer(many=True)


class SegmentMemberSerializer(serializers.ModelSerializer):
    customer = CustomerSerializer()

    class Meta:
        model = SegmentMember
        fields = ["joined_at", "customer"]
        read_only_fields = fields


class MemberChangeSerializer(base.Serializer):
    customer_ids = serializers.ListField(
        child=serializers.IntegerField(), required=False, max_length=MAX_BULK
    )
    external_ids = serializers.ListField(
        child=serializers.CharField(max_length=255), required=False, max_length=MAX_BULK
    )
    emails = serializers.ListField(
        child=serializers.EmailField(), required=False, max_length=MAX_BULK
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not any(attrs.get(key) for key in ("customer_ids", "external_ids", "emails")):
            raise serializers.ValidationError("Give customerIds, externalIds or emails.")
        return attrs


class RefreshResultSerializer(serializers.Serializer):
    joined = serializers.IntegerField()
    left = serializers.IntegerField()
    member_count = serializers.IntegerField()
    duration_ms = serializers.IntegerField()


class ExportStartedSerializer(serializers.Serializer):
    job_id = serializers.IntegerField(
        help_text="The data.export job: GET /api/automation/jobs/{jobId}; its result holds "
        "the signed download link when it is done."
    )


class ErasureSerializer(serializers.Serializer):
    reference = serializers.CharField(
        help_text="The pseudonym that replaced the person in what was kept: quote it, it "
        "names no one."
    )
    erased = serializers.DictField(
        child=serializers.DictField(child=serializers.IntegerField()),
        help_text="Rows erased or anonymised, by app and kind.",
    )
