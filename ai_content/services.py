"""Generating content: render the prompt, check the budget, answer from cache or call
the provider, price the usage, score the result, record it all."""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.text import slugify

from ai_content import images, prompting, provider
from ai_content.models import (
    AIGeneration,
    AIPrompt,
    AIPromptVersion,
    ImageAsset,
    ImageSource,
    ImageStatus,
)
from ai_content.quality import Quality, analyse, limit_of_goal
from benchbarrier import clock
from benchbarrier.services.audit import Actor, record_audit
from benchbarrier.services.prices import TokenUsage, check_priced, image_cost, token_cost
from benchbarrier.services.spend import check_budget, record_spend
from benchbarrier.stored_files import save_replacing
from benchbarrier.telemetry import count_ai_use
from jobs.models import Job
from jobs.services import enqueue

SERVICE = "openai"
SYSTEM = (
    "You write marketing copy for an online shop. Answer with the requested text only: "
    "no preamble, no quotes around it."
)


@dataclass
class Request:
    """What to generate: a rendered prompt and the parameters to generate it with."""

    prompt_text: str
    model: str
    temperature: float
    max_tokens: int
    category: str = "other"
    max_length: int | None = None
    prompt: AIPrompt | None = None
    variables: dict[str, Any] = field(default_factory=dict)
    use_cache: bool = False


def build_request(
    *,
    prompt: AIPrompt | None = None,
    custom_prompt: str = "",
    variables: dict[str, Any] | None = None,
    model: str | None = None,
    temperature: float | None = None,
    max_tokens: int | None = None,
    category: str | None = None,
    max_length: int | None = None,
    use_cache: bool = False,
) -> Request:
    """A template with its variables, or a custom prompt; overrides win over the
    template's settings. Raises prompting.VariableError naming each bad variable."""
    variables = variables or {}
    if prompt is not None:
        text = prompting.render(prompt.template, variables, prompt.variables)
    else:
        text = prompting.render(custom_prompt, variables) if variables else custom_prompt
    if temperature is None:
        temperature = prompt.temperature if prompt else 0.7
    return Request(
        prompt_text=text,
        model=model or (prompt.model if prompt else settings.AI_DEFAULT_MODEL),
        temperature=temperature,
        max_tokens=max_tokens or (prompt.max_tokens if prompt else 500),
        category=category or (prompt.category if prompt else "other"),
        max_length=max_length or (prompt.max_length if prompt else None),
        prompt=prompt,
        variables=variables,
        use_cache=use_cache,
    )  # fmt: skip


def generate(
    request: Request, *, count: int = 1, operation: str = "generate"
) -> list[AIGeneration]:
    """`count` pieces of content from one provider call (or the cache), each scored and
    recorded; the call's cost goes to the spend ledger. Raises BudgetExceeded or a
    provider.ProviderError."""
    (outcome,) = generate_many([request], count=count, operation=operation)
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


Outcome = list[AIGeneration] | provider.ProviderError


def generate_many(
    requests: list[Request],
    *,
    count: int = 1,
    operation: str = "generate",
    concurrency: int = 1,
    job_id: Any = None,
    keys: list[str] | None = None,
) -> list[Outcome]:
    """Generate for many requests, up to `concurrency` provider calls at a time (only the
    HTTP calls run in threads; checking, pricing and recording stay in this thread and
    its transaction). Per request: its generations, or the provider error it met.
    Raises ProviderNotConfigured, PriceUnknown (a model with no price while a budget
    counts), or BudgetExceeded once the budget is spent (every call already made is
    recorded first)."""
    if not provider.is_configured():
        raise provider.ProviderNotConfigured
    for model in {request.model for request in requests}:
        check_priced(SERVICE, model)
    batch = _Batch(requests, count, operation, job_id, keys or [""] * len(requests))
    waiting = batch.answer_from_cache()
    if len(waiting) == 1 or concurrency == 1:  # no thread for a single call
        for index in waiting:
            budgets = check_budget(SERVICE)
            try:
                completion = batch.call(index)
            except provider.ProviderError as exc:
                batch.outcomes[index] = exc
            else:
                batch.record(index, completion, budgets)
        return batch.results()
    with ThreadPoolExecutor(max_workers=min(concurrency, len(waiting))) as pool:
        running: dict[Future, int] = {}
        try:
            for index in waiting:
                check_budget(SERVICE)
                running[pool.submit(batch.call, index)] = index
                if len(running) >= concurrency:
                    batch.collect(running, first_only=True)
        finally:  # a spent budget stops new calls; the ones made are still recorded
            batch.collect(running, first_only=False)
    return batch.results()


class _Batch:
    """The requests of one generate_many call and what became of each."""

    def __init__(
        self, requests: list[Request], count: int, operation: str, job_id: Any, keys: list[str]
    ) -> None:
        self.requests, self.count, self.operation = requests, count, operation
        self.job_id, self.keys = job_id, keys
        self.outcomes: list[Outcome | None] = [None] * len(requests)
        self.cache_keys = [
            _cache_key(r, count) if r.use_cache or r.temperature == 0 else None for r in requests
        ]

    def answer_from_cache(self) -> list[int]:
        """Record the cached answers; returns the indexes still to ask the provider."""
        waiting = []
        for index, request in enumerate(self.requests):
            key = self.cache_keys[index]
            cached = cache.get(key) if key else None
            if cached is None:
                waiting.append(index)
                continue
            self.outcomes[index] = _record(
                request, cached["texts"], cached["model"], TokenUsage(), None,
                operation=self.operation, cache_hit=True, job_id=self.job_id,
                key=self.keys[index],
            )  # fmt: skip
        return waiting

    def call(self, index: int) -> provider.Completion:
        request = self.requests[index]
        return provider.complete(request.prompt_text, model=request.model,
                                 temperature=request.temperature, max_tokens=request.max_tokens,
                                 n=self.count, system=SYSTEM)  # fmt: skip

    def record(self, index: int, completion: provider.Completion, budgets: list | None) -> None:
        """Record a provider's answer at its price, and keep it for identical requests."""
        request = self.requests[index]
        cost = token_cost(request.model, completion.usage)
        self.outcomes[index] = _record(
            request, completion.texts, completion.model, completion.usage, cost,
            operation=self.operation, cache_hit=False, job_id=self.job_id,
            key=self.keys[index], budgets=budgets,
        )  # fmt: skip
        if self.cache_keys[index]:
            answer = {"texts": completion.texts, "model": completion.model}
            cache.set(self.cache_keys[index], answer, settings.AI_CACHE_SECONDS)

    def collect(self, running: dict[Future, int], *, first_only: bool) -> None:
        """Record finished calls: the first one to finish, or all of them."""
        for future in as_completed(list(running)):
            index = running.pop(future)
            try:
                completion = future.result()
            except provider.ProviderError as exc:
                self.outcomes[index] = exc
            else:
                self.record(index, completion, None)
            if first_only:
                return

    def results(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome is not None]


def _cache_key(request: Request, count: int) -> str:
    identity = json.dumps(
        [request.prompt_text, request.model, request.temperature, request.max_tokens, count]
    )
    return "ai:completion:" + hashlib.sha256(identity.encode()).hexdigest()


def _record(
    request: Request,
    texts: list[str],
    model: str,
    usage: TokenUsage,
    cost: Decimal | None,
    *,
    operation: str,
    cache_hit: bool,
    job_id: Any = None,
    key: str = "",
    budgets: list | None = None,
) -> list[AIGeneration]:
    """One generation per text (a call's tokens and cost shared between its texts) and
    one spend entry per provider call."""
    share = max(len(texts), 1)
    with transaction.atomic():
        generations = []
        for text in texts:
            quality = analyse(text, category=request.category, max_length=request.max_length)
            generations.append(
                AIGeneration.objects.create(
                    prompt=request.prompt,
                    prompt_version=request.prompt.version if request.prompt else None,
                    operation=operation,
                    input_prompt=request.prompt_text,
                    variables=request.variables,
                    content=text,
                    model=model,
                    temperature=request.temperature,
                    max_tokens=request.max_tokens,
                    input_tokens=usage.input_tokens // share,
                    cached_tokens=usage.cached_tokens // share,
                    output_tokens=usage.output_tokens // share,
                    tokens_used=usage.total // share,
                    cost=Decimal(0) if cache_hit else (None if cost is None else cost / share),
                    cache_hit=cache_hit,
                    quality_score=quality.score,
                    suggestions=quality.suggestions,
                    job_id=job_id,
                    item_key=key,
                )
            )
        if not cache_hit:
            record_spend(
                service=SERVICE,
                operation="chat.completion",
                cost=cost,
                quantity=usage.total,
                model=request.model,
                reference="generation " + ",".join(str(g.pk) for g in generations),
                details={
                    "inputTokens": usage.input_tokens,
                    "cachedTokens": usage.cached_tokens,
                    "outputTokens": usage.output_tokens,
                    "generationIds": [g.pk for g in generations],
                },
                budgets=budgets,
            )
            count_ai_use(request.model, operation, usage.input_tokens, usage.output_tokens, cost)
    return generations


@dataclass
class Optimisation:
    generation: AIGeneration
    before: Quality
    after: Quality


def optimise(
    *, content: str, goal: str, category: str = "other", model: str | None = None,
    max_tokens: int = 600,
) -> Optimisation:  # fmt: skip
    """Rewrite `content` for `goal` ("more urgency", "fit 280 characters"), scored by the
    same judge before and after (a limit named in the goal counts for both)."""
    limit = limit_of_goal(goal)
    before = analyse(content, category=category, max_length=limit)
    hints = "\n".join(f"- {s}" for s in before.suggestions) or "- none"
    request = Request(
        prompt_text=(
            f"Rewrite the text below. Goal: {goal}.\n"
            f"Keep its facts and language. Known weaknesses to fix:\n{hints}\n\n"
            f"Text:\n{content}"
        ),
        model=model or settings.AI_DEFAULT_MODEL,
        temperature=0.4,
        max_tokens=max_tokens,
        category=category,
        max_length=limit,
    )
    (generation,) = generate(request, operation="optimize")
    after = Quality(generation.quality_score or 0.0, generation.suggestions)
    return Optimisation(generation, before, after)


def record_feedback(
    *, generation: AIGeneration, was_used: bool | None, rating: int | None, actor: Actor,
    request: Any = None,
) -> AIGeneration:  # fmt: skip
    changes = {}
    if was_used is not None:
        generation.was_used = changes["wasUsed"] = was_used
    if rating is not None:
        generation.rating = changes["rating"] = rating
    with transaction.atomic():
        generation.save(update_fields=["was_used", "rating"])
        record_audit(action="ai.feedback", target=generation, changes=changes, actor=actor,
                     request=request)  # fmt: skip
    return generation


# --- prompt templates ---------------------------------------------------------------------

VERSIONED = ("template", "variables", "model", "temperature", "max_tokens")


def save_prompt(*, prompt: AIPrompt, actor: Actor, request: Any = None) -> AIPrompt:
    """Create or edit a template. `variables` default to the template's placeholders and
    must match them; a change to what generates (template, variables, model, temperature,
    max tokens) makes a new version, kept with its predecessors."""
    found = prompting.placeholders(prompt.template)
    if not prompt.variables:
        prompt.variables = found
    elif sorted(prompt.variables) != sorted(found):
        missing = sorted(set(found) - set(prompt.variables))
        extra = sorted(set(prompt.variables) - set(found))
        raise prompting.VariableError(
            {"variables": "must list exactly the template's placeholders"
             + (f"; missing {', '.join(missing)}" if missing else "")
             + (f"; not in the template: {', '.join(extra)}" if extra else "")}
        )  # fmt: skip
    with transaction.atomic():
        if not prompt.slug:
            prompt.slug = _unique_slug(prompt.name, exclude=prompt.pk)
        if prompt.pk is None:
            prompt.version = 1
            prompt.save()
            action = "ai.prompt.created"
        else:
            current = AIPrompt.objects.select_for_update().get(pk=prompt.pk)
            if any(getattr(current, name) != getattr(prompt, name) for name in VERSIONED):
                prompt.version = current.version + 1
            prompt.updated_at = clock.now()
            prompt.save()
            action = "ai.prompt.updated"
        AIPromptVersion.objects.get_or_create(
            prompt=prompt,
            version=prompt.version,
            defaults={name: getattr(prompt, name) for name in VERSIONED},
        )
        record_audit(action=action, target=prompt, changes={"version": prompt.version},
                     actor=actor, request=request)  # fmt: skip
    return prompt


def _unique_slug(name: str, *, exclude: int | None) -> str:
    """`slugify(name)`, with -2, -3... when another template has it."""
    base = slugify(name)[:110] or "prompt"
    taken = set(
        AIPrompt.objects.filter(slug__startswith=base)
        .exclude(pk=exclude)
        .values_list("slug", flat=True)
    )
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug


# --- images -------------------------------------------------------------------------------


def generate_image(
    *, prompt: str, size: str, model: str | None = None, label: str = ""
) -> tuple[ImageAsset, Job]:
    """One image from the provider, stored, priced, and queued for `image.process`.
    Raises ProviderNotConfigured, BudgetExceeded or another ProviderError."""
    if not provider.is_configured():
        raise provider.ProviderNotConfigured
    model = model or settings.AI_IMAGE_MODEL
    check_priced(SERVICE, model, per_image=True)
    budgets = check_budget(SERVICE)
    data = provider.generate_image(prompt, model=model, size=size)
    cost = image_cost(model, 1)
    with transaction.atomic():
        asset = _store(data, ImageSource.GENERATED, f"{slugify(label) or 'generated'}.png",
                       prompt=prompt, model=model, cost=cost, label=label)  # fmt: skip
        record_spend(service=SERVICE, operation="images.generate", cost=cost, model=model,
                     reference=f"image {asset.pk}", budgets=budgets,
                     details={"imageId": asset.pk, "size": size})  # fmt: skip
        job, _ = enqueue(job_type="image.process", payload={"imageId": asset.pk})
    return asset, job


def upload_image(*, data: bytes, name: str, label: str = "") -> tuple[ImageAsset, Job]:
    """A product photo (or any image) to make web-ready. Raises images.BadImage (from
    `_store`, which reads it once, before anything is saved)."""
    with transaction.atomic():
        asset = _store(data, ImageSource.UPLOADED, name, label=label)
        job, _ = enqueue(job_type="image.process", payload={"imageId": asset.pk})
    return asset, job


def _store(data: bytes, source: str, name: str, **fields: Any) -> ImageAsset:
    width, height = images.inspect(data)
    asset = ImageAsset(source=source, original_bytes=len(data), width=width, height=height,
                       **fields)  # fmt: skip
    asset.original.save(name, ContentFile(data), save=False)
    asset.save()
    return asset


def process_image(asset: ImageAsset) -> ImageAsset:
    """Make the configured WebP widths of an image and record what they weigh (run again,
    the same files are written over)."""
    with asset.original.open("rb") as original:
        data = original.read()
    made = images.variants(data, settings.AI_IMAGE_WIDTHS, settings.AI_IMAGE_QUALITY)
    stored = []
    for variant in made:
        name = save_replacing(f"images/web/{asset.pk}/{variant.width}w.webp",
                              ContentFile(variant.data))  # fmt: skip
        stored.append({"width": variant.width, "height": variant.height,
                       "bytes": len(variant.data), "name": name})  # fmt: skip
    asset.variants = stored
    asset.processed_bytes = sum(variant["bytes"] for variant in stored)
    jpeg = images.social_jpeg(data)
    asset.social_jpeg = save_replacing(f"images/web/{asset.pk}/social.jpg",
                                       ContentFile(jpeg.data))  # fmt: skip
    asset.status = ImageStatus.READY
    asset.error = ""
    asset.save(update_fields=["variants", "processed_bytes", "social_jpeg", "status", "error"])
    return asset
