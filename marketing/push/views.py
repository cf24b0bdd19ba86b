"""The shop's site registers its customers' browsers here (scope `marketing`), and a
click on a notification comes back through `/p/<id>.<check>`."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from benchbarrier.api import serializers as base
from benchbarrier.models import Scope
from marketing.models import Customer
from marketing.push import services
from marketing.push.models import PushMessage, PushSubscription


class KeysSerializer(base.Serializer):
    p_256dh = serializers.CharField(max_length=200, help_text="p256dh")  # (JSON: p256dh)
    auth = serializers.CharField(max_length=100)


class BrowserSubscriptionSerializer(base.Serializer):
    """`PushSubscription.toJSON()` as the browser gives it."""

    endpoint = serializers.CharField(max_length=1000)
    keys = KeysSerializer()


class SubscribeSerializer(base.Serializer):
    user_id = serializers.CharField(max_length=255, help_text="The site's user id.")
    subscription = BrowserSubscriptionSerializer()
    user_agent = serializers.CharField(max_length=300, required=False, allow_blank=True)


class UnsubscribeSerializer(base.Serializer):
    endpoint = serializers.CharField(max_length=1000)


class PushSubscriptionViewSet(viewsets.GenericViewSet):
    """Web push subscriptions (scope `marketing`): several browsers per customer."""

    required_scope = Scope.MARKETING
    queryset = PushSubscription.objects.none()
    serializer_class = SubscribeSerializer
    pagination_class = None

    @extend_schema(request=SubscribeSerializer, responses={201: None, 200: None})
    def create(self, request: Request) -> Response:
        params = SubscribeSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        customer = Customer.objects.filter(external_id=data["user_id"]).first()
        if customer is None:
            raise ValidationError(
                {"userId": [f'no customer has the site user id "{data["user_id"]}"']}
            )
        browser = data["subscription"]
        try:
            subscription, created = services.subscribe(
                customer=customer, endpoint=browser["endpoint"],
                p256dh=browser["keys"]["p_256dh"], auth=browser["keys"]["auth"],
                user_agent=data.get("user_agent", ""),
            )  # fmt: skip
        except services.PushError as exc:
            raise ValidationError({field: [message] for field, message in exc.errors}) from None
        return Response(
            {"id": subscription.pk, "userId": customer.external_id},
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(request=UnsubscribeSerializer, responses={204: None})
    @action(detail=False, methods=["post"])
    def remove(self, request: Request) -> Response:
        """The browser unsubscribed (or the customer logged out): forget it."""
        params = UnsubscribeSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        PushSubscription.objects.filter(endpoint=params.validated_data["endpoint"]).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: None})
    @action(detail=False, methods=["get"], url_path="vapid-public-key")
    def vapid_public_key(self, request: Request) -> Response:
        """The key the site passes to `pushManager.subscribe({applicationServerKey})`."""
        return Response({"publicKey": settings.VAPID_PUBLIC_KEY})


@csrf_exempt
@require_http_methods(["GET", "POST"])
def shown(request: HttpRequest, message_id: int, check: str) -> HttpResponse:
    """The service worker's beacon: the notification was shown."""
    if not hmac.compare_digest(services.check(message_id), check):
        return HttpResponse(status=404)
    services.record_shown(get_object_or_404(PushMessage, pk=message_id))
    return HttpResponse(status=204)


@require_GET
def click(request: HttpRequest, message_id: int, check: str) -> HttpResponse:
    if not hmac.compare_digest(services.check(message_id), check):
        return HttpResponse("This link is not valid.", status=404, content_type="text/plain")
    message = get_object_or_404(PushMessage, pk=message_id)
    if not message.url:
        return HttpResponse("This link is not valid.", status=404, content_type="text/plain")
    return HttpResponseRedirect(services.record_click(message))
