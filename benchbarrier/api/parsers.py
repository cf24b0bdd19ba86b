"""Request parsers beyond DRF's own: JSON with a nesting limit (a body nested a thousand
deep would otherwise exhaust Python's recursion in the decoder or in the camelCase
rewrite: 400 `malformed_json`, not a 500), and raw bytes for signed webhooks."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from djangorestframework_camel_case.parser import CamelCaseJSONParser
from djangorestframework_camel_case.util import underscoreize
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser

MAX_DEPTH = 64  # far below Python's recursion limit, far above any real payload


def depth(value: Any) -> int:
    """How deep lists and objects nest in `value` (iteratively: no recursion); -1 when a
    string holds a NUL character (PostgreSQL can store none, in text or in JSON)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, str):
            if "\x00" in node:
                return -1
            continue
        if isinstance(node, dict | list):
            deepest = max(deepest, level)
            if level > MAX_DEPTH:
                return level
            children = [*node.keys(), *node.values()] if isinstance(node, dict) else node
            stack.extend(
                (child, level + 1) for child in children if isinstance(child, dict | list | str)
            )
    return deepest


def load_json(text: str | bytes) -> Any:
    """`json.loads`, raising ParseError for bad JSON and for nesting beyond MAX_DEPTH."""
    try:
        data = json.loads(text)
    except RecursionError:
        raise ParseError(f"JSON nested deeper than {MAX_DEPTH} levels.") from None
    except ValueError as exc:
        raise ParseError(f"JSON parse error - {exc}") from None
    found = depth(data)
    if found < 0:
        raise ParseError("JSON strings may not contain NUL characters (\\u0000).")
    if found > MAX_DEPTH:
        raise ParseError(f"JSON nested deeper than {MAX_DEPTH} levels.")
    return data


def _read(stream: Any, parser_context: Any) -> str:
    encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
    try:
        return stream.read().decode(encoding)
    except UnicodeDecodeError as exc:
        raise ParseError(f"JSON parse error - {exc}") from None


class JSONParser(CamelCaseJSONParser):
    """camelCase JSON with the nesting limit."""

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        return underscoreize(load_json(_read(stream, parser_context)), **self.json_underscoreize)


class PlainJSONParser(CamelCaseJSONParser):
    """JSON kept exactly as sent (no key rewriting: event properties), nesting limited."""

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        return load_json(_read(stream, parser_context))


class RawParser(BaseParser):
    """Keeps the exact bytes: a signature covers them (inbound webhooks)."""

    media_type = "*/*"

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> bytes:
        return stream.read()
