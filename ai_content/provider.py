"""The AI provider: the official `openai` client on Chat Completions, which every
OpenAI-compatible server speaks (OpenAI, Azure, Ollama, vLLM...). Its errors become
three kinds the callers act on: try later, fix the request, or it took too long."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

import openai
from django.conf import settings

from benchbarrier.services.prices import TokenUsage

NOT_CONFIGURED = "AI provider not configured: set OPENAI_API_KEY or OPENAI_BASE_URL"


class ProviderError(Exception):
    """Base of the provider's mapped errors."""


class ProviderNotConfigured(ProviderError):
    def __init__(self) -> None:
        super().__init__(NOT_CONFIGURED)


class ProviderUnavailable(ProviderError):
    """Rate limited or failing (429, 5xx, connection): try again after `retry_after` s."""

    def __init__(self, message: str, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class ProviderRejected(ProviderError):
    """The provider refused the request itself (400, unknown model...): no retry helps."""


class ProviderTimeout(ProviderError):
    """No answer within OPENAI_TIMEOUT seconds."""


@dataclass(frozen=True)
class Completion:
    texts: list[str]
    usage: TokenUsage
    model: str


def is_configured() -> bool:
    return bool(settings.OPENAI_API_KEY or settings.OPENAI_BASE_URL)


@cache
def _client(api_key: str, base_url: str, timeout: int, retries: int) -> openai.OpenAI:
    return openai.OpenAI(
        # A local server (Ollama, vLLM) needs no key, but the client insists on one.
        api_key=api_key or "not-needed",
        base_url=base_url or None,
        timeout=timeout,
        max_retries=retries,
    )


def client() -> openai.OpenAI:
    if not is_configured():
        raise ProviderNotConfigured
    return _client(
        settings.OPENAI_API_KEY,
        settings.OPENAI_BASE_URL,
        settings.OPENAI_TIMEOUT,
        settings.OPENAI_MAX_RETRIES,
    )


def complete(
    prompt: str, *, model: str, temperature: float, max_tokens: int, n: int = 1, system: str = ""
) -> Completion:
    """`n` completions of one prompt in one call; raises a ProviderError subclass."""
    messages = [{"role": "system", "content": system}] if system else []
    messages.append({"role": "user", "content": prompt})
    with _mapped_errors():
        response = client().chat.completions.create(
            model=model, messages=messages, temperature=temperature, max_tokens=max_tokens, n=n
        )
    usage = response.usage
    cached = getattr(getattr(usage, "prompt_tokens_details", None), "cached_tokens", 0) or 0
    return Completion(
        texts=[(choice.message.content or "").strip() for choice in response.choices],
        usage=TokenUsage(
            input_tokens=usage.prompt_tokens if usage else 0,
            cached_tokens=cached,
            output_tokens=usage.completion_tokens if usage else 0,
        ),
        model=response.model or model,
    )


@contextmanager
def _mapped_errors() -> Iterator[None]:
    """The openai client's errors as the three kinds callers act on."""
    try:
        yield
    except openai.APITimeoutError:
        raise ProviderTimeout(
            f"The AI provider did not answer within {settings.OPENAI_TIMEOUT} s "
            "(OPENAI_TIMEOUT); try again or ask for less."
        ) from None
    except (openai.RateLimitError, openai.InternalServerError) as exc:
        raise ProviderUnavailable(
            f"The AI provider is busy or failing ({exc.status_code}); try again later.",
            _retry_after(exc.response),
        ) from None
    except openai.APIConnectionError as exc:
        raise ProviderUnavailable(f"Cannot reach the AI provider: {exc}", 30) from None
    except openai.APIStatusError as exc:
        raise ProviderRejected(f"The AI provider refused the request: {_message(exc)}") from None


def _retry_after(response: object) -> int:
    header = getattr(response, "headers", {}).get("retry-after", "")
    try:
        return max(1, round(float(header)))
    except ValueError:
        return 30


def _message(exc: openai.APIStatusError) -> str:
    body = exc.body if isinstance(exc.body, dict) else {}
    error = body.get("error", body) if isinstance(body, dict) else {}
    return (error.get("message") if isinstance(error, dict) else None) or str(exc)


def generate_image(prompt: str, *, model: str, size: str) -> bytes:
    """One image from the images API, as bytes (asked for base64, so nothing is fetched
    from a URL); raises a ProviderError subclass."""
    with _mapped_errors():
        response = client().images.generate(
            model=model, prompt=prompt, size=size, n=1, response_format="b64_json"
        )
    encoded = response.data[0].b64_json if response.data else None
    if not encoded:
        raise ProviderRejected("The AI provider returned no image.")
    return base64.b64decode(encoded)
