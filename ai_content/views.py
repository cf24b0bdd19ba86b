"""The AI API (scope `ai`): thin views over `ai_content.services`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ai_content import provider, serializers, services
from ai_content.images import BadImage
from ai_content.models import AIGeneration, AIPrompt, ImageAsset
from ai_content.prompting import VariableError
from benchbarrier.models import Scope
from benchbarrier.services.audit import Actor
from benchbarrier.services.prices import PriceUnknown
from benchbarrier.services.spend import BudgetExceeded


class NotConfigured(exceptions.APIException):
    status_code = 503
    default_code = "ai_not_configured"


class ProviderBusy(exceptions.APIException):
    status_code = 503
    default_code = "ai_provider_unavailable"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.wait = retry_after  # DRF turns it into Retry-After


class ProviderTimedOut(exceptions.APIException):
    status_code = 504
    default_code = "ai_provider_timeout"


class ProviderRefused(exceptions.APIException):
    status_code = 400
    default_code = "ai_request_rejected"


class BudgetSpent(exceptions.APIException):
    status_code = 402
    default_code = "budget_exceeded"


@contextmanager
def api_errors() -> Iterator[None]:
    """The service's errors as API answers."""
    try:
        yield
    except VariableError as exc:
        raise exceptions.ValidationError(exc.errors) from None
    except provider.ProviderNotConfigured as exc:
        raise NotConfigured(str(exc)) from None
    except provider.ProviderUnavailable as exc:
        raise ProviderBusy(str(exc), exc.retry_after) from None
    except provider.ProviderTimeout as exc:
        raise ProviderTimedOut(str(exc)) from None
    except provider.ProviderRejected as exc:
        raise ProviderRefused(str(exc)) from None
    except BudgetExceeded as exc:
        raise BudgetSpent(str(exc)) from None
    except PriceUnknown as exc:
        raise exceptions.ValidationError({"model": [str(exc)]}) from None


def _input(serializer_class: type, request: Request) -> dict:
    """The request body, validated (a 400 naming each bad field otherwise)."""
    params = serializer_class(data=request.data)
    params.is_valid(raise_exception=True)
    return params.validated_data


def _request(data: dict) -> services.Request:
    return services.build_request(
        prompt=data.get("prompt_id"),
        custom_prompt=data.get("custom_prompt", ""),
        variables=data.get("variables"),
        model=data.get("model"),
        temperature=data.get("temperature"),
        max_tokens=data.get("max_tokens"),
        category=data.get("category"),
        max_length=data.get("max_length"),
        use_cache=data.get("cache", False),
    )


def _total(generations: list[AIGeneration]) -> tuple[int, Decimal | None]:
    costs = [g.cost for g in generations]
    cost = None if any(c is None for c in costs) else sum(costs, Decimal(0))
    return sum(g.tokens_used for g in generations), cost


class AIActionView(APIView):
    """An AI action: the body validated by `input_class` (400 naming each bad field),
    `perform` called with the service's errors turned into answers (402, 503, 504...),
    the result shaped by `output_class` and answered with `success_status`."""

    required_scope = Scope.AI
    input_class: type
    output_class: type
    success_status = status.HTTP_201_CREATED

    def perform(self, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    def shape(self, result: Any) -> dict[str, Any]:
        return self.output_class(result).data

    def post(self, request: Request) -> Response:
        data = _input(self.input_class, request)
        with api_errors():
            result = self.perform(data)
        return Response(self.shape(result), status=self.success_status)


@extend_schema(request=serializers.GenerateContentSerializer,
               responses={201: serializers.GenerationResultSerializer})  # fmt: skip
class GenerateContentView(AIActionView):
    """Generate content from a template or a custom prompt (the seed's
    GenerateContentRequest / GenerateContentResponse)."""

    input_class = serializers.GenerateContentSerializer
    output_class = serializers.GenerationResultSerializer

    def perform(self, data: dict[str, Any]) -> AIGeneration:
        (generation,) = services.generate(_request(data))
        return generation


@extend_schema(request=serializers.VariationsSerializer,
               responses={201: serializers.VariationsResultSerializer})  # fmt: skip
class GenerateVariationsView(AIActionView):
    """`count` variations (1-10) in one provider call, each scored."""

    input_class = serializers.VariationsSerializer
    output_class = serializers.VariationsResultSerializer

    def perform(self, data: dict[str, Any]) -> dict[str, Any]:
        generations = services.generate(_request(data), count=data["count"], operation="variation")
        tokens, cost = _total(generations)
        return {"variations": generations, "tokens_used": tokens, "cost": cost}


@extend_schema(request=serializers.OptimizeSerializer,
               responses={201: serializers.OptimizeResultSerializer})  # fmt: skip
class OptimizeView(AIActionView):
    """Rewrite content for a goal; the quality score before and after."""

    input_class = serializers.OptimizeSerializer
    output_class = serializers.OptimizeResultSerializer

    def perform(self, data: dict[str, Any]) -> dict[str, Any]:
        result = services.optimise(
            content=data["content"], goal=data["goal"], category=data["category"],
            model=data.get("model"),
        )  # fmt: skip
        generation = result.generation
        return {
            "content": generation.content,
            "before": result.before,
            "after": result.after,
            "generation_id": generation.pk,
            "tokens_used": generation.tokens_used,
            "cost": generation.cost,
        }


class PromptViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Prompt templates; every change to what generates adds a version."""

    required_scope = Scope.AI
    queryset = AIPrompt.objects.all().order_by("name")
    filterset_fields = ["category", "is_active"]
    search_fields = ["name", "description"]

    def get_serializer_class(self) -> type:
        if self.action == "retrieve":
            return serializers.PromptDetailSerializer
        return serializers.PromptSerializer

    def perform_create(self, serializer: serializers.PromptSerializer) -> None:
        self._save(AIPrompt(**serializer.validated_data), serializer)

    def perform_update(self, serializer: serializers.PromptSerializer) -> None:
        prompt = serializer.instance
        changes = serializer.validated_data
        if "template" in changes and "variables" not in changes:
            prompt.variables = []  # taken from the new template
        for name, value in changes.items():
            setattr(prompt, name, value)
        self._save(prompt, serializer)

    def _save(self, prompt: AIPrompt, serializer: serializers.PromptSerializer) -> None:
        with api_errors():
            serializer.instance = services.save_prompt(
                prompt=prompt, actor=Actor.from_request(self.request), request=self.request
            )


class GenerationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Generations, newest first, and feedback on them."""

    required_scope = Scope.AI
    queryset = AIGeneration.objects.all().order_by("-created_at")
    serializer_class = serializers.GenerationSerializer
    filterset_fields = ["prompt", "operation", "model", "cache_hit", "was_used", "item_key"]

    @extend_schema(request=serializers.FeedbackSerializer,
                   responses={200: serializers.GenerationSerializer})  # fmt: skip
    @action(detail=True, methods=["post"])
    def feedback(self, request: Request, pk: str) -> Response:
        generation = self.get_object()
        data = _input(serializers.FeedbackSerializer, request)
        services.record_feedback(
            generation=generation,
            was_used=data["was_used"],
            rating=data["rating"],
            actor=Actor.from_request(request),
            request=request,
        )
        return Response(serializers.GenerationSerializer(generation).data)


@extend_schema(request=serializers.GenerateImageSerializer,
               responses={201: serializers.ImageSerializer})  # fmt: skip
class GenerateImageView(AIActionView):
    """One image from the images API: stored, priced, and queued for `image.process`."""

    input_class = serializers.GenerateImageSerializer
    output_class = serializers.ImageSerializer

    def perform(self, data: dict[str, Any]) -> tuple[ImageAsset, Any]:
        return services.generate_image(**data)

    def shape(self, result: tuple[ImageAsset, Any]) -> dict[str, Any]:
        return _image_body(*result)


def _image_body(asset: ImageAsset, job: Any) -> dict[str, Any]:
    return {**serializers.ImageSerializer(asset).data, "process_job_id": str(job.id)}


class ImageViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Images and their web-ready variants; POST uploads a product photo (multipart)."""

    required_scope = Scope.AI
    queryset = ImageAsset.objects.all().order_by("-created_at")
    serializer_class = serializers.ImageSerializer
    filterset_fields = ["source", "status", "label"]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request=serializers.UploadImageSerializer,
                   responses={202: serializers.ImageSerializer})  # fmt: skip
    def create(self, request: Request) -> Response:
        data = _input(serializers.UploadImageSerializer, request)
        upload = data["file"]
        if upload.size > settings.AI_IMAGE_MAX_UPLOAD_BYTES:
            raise exceptions.ValidationError(
                {"file": f"larger than {settings.AI_IMAGE_MAX_UPLOAD_BYTES} bytes"}
            )
        try:
            asset, job = services.upload_image(
                data=upload.read(), name=upload.name, label=data["label"]
            )
        except BadImage as exc:
            raise exceptions.ValidationError({"file": str(exc)}) from None
        return Response(_image_body(asset, job), status=status.HTTP_202_ACCEPTED)
