"""A local OpenAI-compatible server for the tests: Chat Completions with usage, `n`
choices, and answers a test can switch to 429, 500, 400 or a hang (timeout)."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from tests.local_server import JsonHandler, LocalServer


class FakeOpenAI:
    def __init__(self) -> None:
        self.mode = "ok"  # ok, 429, 500, 400, hang
        self.delay = 0.0
        self.replies: list[str] = ["Meet the Trail Runner 2: light, grippy, ready. Shop now."]
        self.usage = {"prompt_tokens": 120, "completion_tokens": 40, "cached_tokens": 0}
        self.requests: list[dict[str, Any]] = []
        self.fail_first = 0  # answer this many requests with 429 before the mode applies
        self.in_flight = self.max_in_flight = 0
        self._lock = threading.Lock()
        fake = self

        class Handler(JsonHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with fake._lock:
                    fake.requests.append({"path": self.path, "body": body,
                                          "auth": self.headers.get("Authorization")})  # fmt: skip
                    fake.in_flight += 1
                    fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
                    refuse = len(fake.requests) <= fake.fail_first
                try:
                    self._answer(body, "429" if refuse else fake.mode)
                finally:
                    with fake._lock:
                        fake.in_flight -= 1

            def _answer(self, body: dict, mode: str) -> None:
                if mode == "hang":
                    time.sleep(5)
                    return
                if fake.delay:
                    time.sleep(fake.delay)
                errors = {"429": (429, "Rate limit reached"), "500": (500, "Server error"),
                          "400": (400, "Invalid model: nope")}  # fmt: skip
                if mode in errors:
                    code, message = errors[mode]
                    self.send_json(code, {"error": {"message": message, "type": "error"}},
                               {"retry-after": "7"} if code == 429 else {})  # fmt: skip
                    return
                if self.path.endswith("/images/generations"):
                    self.send_json(200, {"created": 1, "data": [{"b64_json": fake.image_b64()}]})
                    return
                n = body.get("n", 1)
                self.send_json(200, {
                    "id": "chatcmpl-1", "object": "chat.completion", "created": 1,
                    "model": body["model"],
                    "choices": [
                        {"index": i, "finish_reason": "stop",
                         "message": {"role": "assistant",
                                     "content": fake.replies[i % len(fake.replies)]}}
                        for i in range(n)
                    ],
                    "usage": {
                        "prompt_tokens": fake.usage["prompt_tokens"],
                        "completion_tokens": fake.usage["completion_tokens"] * n,
                        "total_tokens": fake.usage["prompt_tokens"]
                        + fake.usage["completion_tokens"] * n,
                        "prompt_tokens_details": {"cached_tokens": fake.usage["cached_tokens"]},
                    },
                })  # fmt: skip

        self._server = LocalServer(Handler)
        self.url = f"{self._server.url}/v1"

    @staticmethod
    def image_b64(size: tuple[int, int] = (1024, 1024)) -> str:
        """A PNG with some structure (a gradient), as the images API returns it."""
        import base64
        import io

        from PIL import Image

        image = Image.linear_gradient("L").resize(size).convert("RGB")
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        return base64.b64encode(buffer.getvalue()).decode()

    def close(self) -> None:
        self._server.close()
