"""Text an AI writes for another app (the social calendar's "generate with AI"): the
kernel holds the hook, ai_content fills it when it is installed, and the asking app
imports neither."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Writer = Callable[[str, dict[str, Any]], str]
_writer: list[Writer] = []


class WriterUnavailable(Exception):
    """No writer, or it could not write (the reason says why: a budget, the provider)."""


def register_writer(writer: Writer) -> None:
    _writer[:] = [writer]


def write(prompt: str, variables: dict[str, Any]) -> str:
    """The text the prompt template `prompt` (a slug) gives with these variables."""
    if not _writer:
        raise WriterUnavailable("no AI writer is installed (the ai_content app)")
    return _writer[0](prompt, variables)
