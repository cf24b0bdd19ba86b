"""Request parsers beyond DRF's own."""

from __future__ import annotations

from typing import Any

from rest_framework.parsers import BaseParser


class RawParser(BaseParser):
    """Keeps the exact bytes: a signature covers them (inbound webhooks)."""

    media_type = "*/*"

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> bytes:
        return stream.read()
