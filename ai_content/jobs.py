"""`content.generate`: many generations from one template (descriptions for 500
products), several provider calls in flight, progress on the job. `image.process`:
web-ready variants of an image."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings

from ai_content import provider, services
from ai_content.images import BadImage
from ai_content.models import AIGeneration, AIPrompt, ImageAsset, ImageStatus
from ai_content.prompting import VariableError
from benchbarrier.services.prices import PriceUnknown
from benchbarrier.services.spend import BudgetExceeded
from jobs.models import Job
from jobs.registry import PermanentJobError, job_handler
from jobs.services import report_progress

BATCH_SCHEMA = {
    "type": "object",
    "properties": {
        "promptId": {"type": "integer"},
        "customPrompt": {"type": "string", "minLength": 1},
        "items": {
            "type": "array",
            "minItems": 1,
            "maxItems": 5000,
            "items": {
                "type": "object",
                "properties": {
                    "key": {"type": "string", "minLength": 1, "maxLength": 200},
                    "variables": {"type": "object"},
                },
                "required": ["key"],
                "additionalProperties": False,
            },
        },
        "model": {"type": "string", "minLength": 1},
        "temperature": {"type": "number", "minimum": 0, "maximum": 2},
        "maxTokens": {"type": "integer", "minimum": 1, "maximum": 16000},
    },
    "required": ["items"],
    "oneOf": [{"required": ["promptId"]}, {"required": ["customPrompt"]}],
    "additionalProperties": False,
}
SEED_SCHEMA = {
    "type": "object",
    "description": "The seed's form: one generation from a prompt, saved under `id`.",
    "properties": {
        "prompt": {"type": "string", "minLength": 1},
        "options": {
            "type": "object",
            "properties": {
                "model": {"type": "string", "minLength": 1},
                "temperature": {"type": "number", "minimum": 0, "maximum": 2},
                "maxTokens": {"type": "integer", "minimum": 1, "maximum": 16000},
                "category": {"type": "string"},
                "maxLength": {"type": "integer", "minimum": 1},
            },
            "additionalProperties": False,
        },
        "id": {"type": ["string", "integer"]},
    },
    "required": ["prompt", "id"],
    "additionalProperties": False,
}


def batch_form(payload: dict[str, Any]) -> dict[str, Any]:
    """The seed's `{"prompt", "options", "id"}` as the batch form: one item whose key is
    the caller's id (`GET /api/ai/generations?itemKey=<id>` reads the result)."""
    if "prompt" not in payload:
        return payload
    options = payload.get("options") or {}
    return {
        "customPrompt": payload["prompt"],
        "items": [{"key": str(payload["id"])}],
        **{key: options[key] for key in ("model", "temperature", "maxTokens") if key in options},
        "category": options.get("category"),
        "maxLength": options.get("maxLength"),
    }


@job_handler(
    "content.generate",
    max_attempts=2,
    retry_delay=timedelta(seconds=30),
    timeout=timedelta(minutes=30),
    schema={"oneOf": [BATCH_SCHEMA, SEED_SCHEMA]},
)
def generate_content(job: Job) -> dict[str, Any]:
    """One generation per item (`{"key": "sku-1", "variables": {...}}`). A retry skips
    the items already generated; a rate limit or provider failure retries the job; an
    item the provider or the template refuses is reported and skipped. The seed's
    payload (`{"prompt", "options", "id"}`) is one item keyed by its id."""
    payload = batch_form(job.payload)
    prompt = None
    if "promptId" in payload:
        prompt = AIPrompt.objects.filter(pk=payload["promptId"]).first()
        if prompt is None:
            raise PermanentJobError(f"no prompt template {payload['promptId']}")
    items = payload["items"]
    done = dict(AIGeneration.objects.filter(job_id=job.id).values_list("item_key", "id"))
    failed = dict((job.progress or {}).get("failedItems", {}))
    todo, requests = [], []
    for item in items:
        if item["key"] in done or item["key"] in failed:
            continue
        try:
            requests.append(
                services.build_request(
                    prompt=prompt,
                    custom_prompt=payload.get("customPrompt", ""),
                    variables=item.get("variables", {}),
                    model=payload.get("model"),
                    temperature=payload.get("temperature"),
                    max_tokens=payload.get("maxTokens"),
                    category=payload.get("category"),
                    max_length=payload.get("maxLength"),
                )
            )
            todo.append(item["key"])
        except VariableError as exc:
            failed[item["key"]] = str(exc)
    transient: list[str] = []
    for start in range(0, len(requests), settings.AI_CONCURRENCY * 2):
        chunk = slice(start, start + settings.AI_CONCURRENCY * 2)
        try:
            outcomes = services.generate_many(
                requests[chunk], operation="generate", concurrency=settings.AI_CONCURRENCY,
                job_id=job.id, keys=todo[chunk],
            )  # fmt: skip
        except (provider.ProviderNotConfigured, PriceUnknown) as exc:
            raise PermanentJobError(str(exc)) from None
        except BudgetExceeded as exc:
            _report(job, items, failed)
            raise PermanentJobError(str(exc)) from None
        for key, outcome in zip(todo[chunk], outcomes, strict=True):
            if isinstance(outcome, provider.ProviderRejected):
                failed[key] = str(outcome)
            elif isinstance(outcome, provider.ProviderError):
                transient.append(f"{key}: {outcome}")
        _report(job, items, failed)
    if transient:
        raise RuntimeError(f"{len(transient)} item(s) to retry; first: {transient[0]}")
    generated = dict(AIGeneration.objects.filter(job_id=job.id).values_list("item_key", "id"))
    return {"generated": len(generated), "failed": failed, "generationIds": generated}


def _report(job: Job, items: list[dict], failed: dict[str, str]) -> None:
    done = AIGeneration.objects.filter(job_id=job.id).count()
    report_progress(job, done=done + len(failed), total=len(items), generated=done,
                    failed=len(failed), failedItems=failed)  # fmt: skip


@job_handler(
    "image.process",
    max_attempts=3,
    retry_delay=timedelta(seconds=30),
    timeout=timedelta(minutes=5),
    schema={
        "type": "object",
        "properties": {"imageId": {"type": "integer"}},
        "required": ["imageId"],
        "additionalProperties": False,
    },
)
def process_image(job: Job) -> dict[str, Any]:
    """Resize an image to the configured widths as WebP, EXIF stripped; reports sizes."""
    asset = ImageAsset.objects.filter(pk=job.payload["imageId"]).first()
    if asset is None:
        raise PermanentJobError(f"no image {job.payload['imageId']}")
    try:
        asset = services.process_image(asset)
    except BadImage as exc:
        asset.status, asset.error = ImageStatus.FAILED, str(exc)
        asset.save(update_fields=["status", "error"])
        raise PermanentJobError(str(exc)) from None
    return {
        "imageId": asset.pk,
        "originalBytes": asset.original_bytes,
        "variants": [{k: v[k] for k in ("width", "height", "bytes")} for v in asset.variants],
        "reduction": asset.reduction,
    }
