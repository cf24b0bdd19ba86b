"""`/api/keys`: API keys for the shop's site (scope `admin`)."""

from __future__ import annotations

from typing import Any

from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from benchbarrier.api import serializers as base
from benchbarrier.api.fields import DurationField
from benchbarrier.models import APIKey, Scope
from benchbarrier.models.api_keys import validate_throttle_rate
from benchbarrier.services import api_keys as service
from benchbarrier.services.audit import Actor


class APIKeySerializer(base.ModelSerializer):
    expires_at = serializers.DateTimeField(source="expiry_date", read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(source="created", read_only=True)
    rotated_from = serializers.SlugRelatedField(slug_field="prefix", read_only=True,
                                                allow_null=True)  # fmt: skip
    has_expired = serializers.BooleanField(read_only=True)

    class Meta:
        model = APIKey
        fields = [
            "prefix",
            "name",
            "scopes",
            "throttle_rate",
            "created_at",
            "created_by",
            "expires_at",
            "has_expired",
            "revoked",
            "last_used_at",
            "rotated_from",
        ]
        read_only_fields = fields


class IssuedKeySerializer(APIKeySerializer):
    key = serializers.CharField(
        read_only=True, help_text="The full key. Shown this once; store it now."
    )

    class Meta(APIKeySerializer.Meta):
        fields = [*APIKeySerializer.Meta.fields, "key"]
        read_only_fields = fields


class CreateAPIKeySerializer(base.Serializer):
    name = serializers.CharField(max_length=50)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=Scope.choices), allow_empty=False
    )
    expires_at = serializers.DateTimeField(required=False, allow_null=True)
    throttle_rate = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, validators=[
            RegexValidator(r"^[0-9]+/[smhd][a-z]*$", 'requests per period, like "600/min"'),
            validate_throttle_rate])  # fmt: skip


class RotateAPIKeySerializer(base.Serializer):
    grace = DurationField(
        required=False,
        help_text='How long the old key keeps working, like "2h" or "7d". '
        "Default: API_KEY_ROTATION_GRACE.",
    )


def _issued(issued: service.IssuedKey) -> dict[str, Any]:
    data = IssuedKeySerializer(issued.api_key).data
    data["key"] = issued.secret
    return data


class APIKeyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    required_scope = Scope.ADMIN
    queryset = APIKey.objects.select_related("rotated_from").order_by("-created")
    serializer_class = APIKeySerializer
    lookup_field = "prefix"
    filterset_fields = ["revoked"]
    search_fields = ["name", "prefix"]
    ordering_fields = ["created", "name", "last_used_at"]

    @extend_schema(request=CreateAPIKeySerializer, responses={201: IssuedKeySerializer})
    def create(self, request: Request) -> Response:
        """Create a key. The response holds the full key, the only time it is shown."""
        params = CreateAPIKeySerializer(data=request.data)
        params.is_valid(raise_exception=True)
        issued = service.create_api_key(
            **params.validated_data, actor=Actor.from_request(request), request=request
        )
        return Response(_issued(issued), status=status.HTTP_201_CREATED)

    @extend_schema(request=RotateAPIKeySerializer, responses={201: IssuedKeySerializer})
    @action(detail=True, methods=["post"])
    def rotate(self, request: Request, prefix: str) -> Response:
        """Issue a replacement key; the old one keeps working for the grace period."""
        params = RotateAPIKeySerializer(data=request.data)
        params.is_valid(raise_exception=True)
        try:
            issued = service.rotate_api_key(
                api_key=self.get_object(),
                grace=params.validated_data.get("grace"),
                actor=Actor.from_request(request),
                request=request,
            )
        except service.APIKeyError as exc:
            raise serializers.ValidationError({"prefix": [str(exc)]}) from None
        return Response(_issued(issued), status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: APIKeySerializer})
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, prefix: str) -> Response:
        """Revoke a key at once; this cannot be undone."""
        api_key = service.revoke_api_key(
            api_key=self.get_object(), actor=Actor.from_request(request), request=request
        )
        return Response(APIKeySerializer(api_key).data)
