"""A local server speaking the parts of Meta's Graph API that posting uses: Page feed
and photos, Instagram's media + media_publish, permalinks and engagement counts. It
checks the access token, can answer the first `throttle_first` POSTs with 429 and
Retry-After, and keeps every request (workers in other processes reach it over HTTP)."""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.local_server import JsonHandler, LocalServer

TOKEN = "page-token-123"


class FakeGraph:
    def __init__(self, port: int = 0) -> None:
        self.requests: list[dict[str, Any]] = []
        self.throttle_first = 0
        self.retry_after = "1"
        self.counts = {"likes": 12, "comments": 3, "shares": 2, "reach": 340}
        self._lock = threading.Lock()
        fake = self

        class Handler(JsonHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                self._answer(
                    "GET", parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}
                )

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                self._answer("POST", self.path, {k: v[0] for k, v in parse_qs(raw).items()})

            def _answer(self, method: str, path: str, params: dict[str, str]) -> None:
                with fake._lock:
                    fake.requests.append({"method": method, "path": path, "params": params})
                    posts = sum(1 for r in fake.requests if r["method"] == "POST")
                if params.get("access_token") != TOKEN:
                    self.send_json(400, {"error": {"message": "Invalid OAuth access token.",
                                               "type": "OAuthException", "code": 190}})  # fmt: skip
                    return
                if method == "POST" and posts <= fake.throttle_first:
                    self.send_json(429, {"error": {"message": "(#4) Application request limit reached",
                                               "type": "OAuthException", "code": 4}},
                               {"Retry-After": fake.retry_after})  # fmt: skip
                    return
                node = path.split("/", 2)[2]  # after /v21.0/
                if method == "POST" and node.endswith("/feed"):
                    self.send_json(200, {"id": f"{node.split('/')[0]}_{posts}"})
                elif method == "POST" and node.endswith("/photos"):
                    self.send_json(
                        200, {"id": str(posts), "post_id": f"{node.split('/')[0]}_{posts}"}
                    )
                elif method == "POST" and node.endswith("/media"):
                    self.send_json(200, {"id": f"container{posts}"})
                elif method == "POST" and node.endswith("/media_publish"):
                    self.send_json(200, {"id": f"media{posts}"})
                elif node.endswith("/insights"):
                    self.send_json(200, {"data": [{"name": params.get("metric"), "period": "lifetime",
                                               "values": [{"value": fake.counts["reach"]}]}]})  # fmt: skip
                elif params.get("fields") == "permalink_url":
                    self.send_json(
                        200, {"id": node, "permalink_url": f"https://www.facebook.com/{node}"}
                    )
                elif params.get("fields") == "permalink":
                    self.send_json(
                        200, {"id": node, "permalink": f"https://www.instagram.com/p/{node}/"}
                    )
                elif params.get("fields") == "like_count,comments_count":
                    self.send_json(200, {"id": node, "like_count": fake.counts["likes"],
                                     "comments_count": fake.counts["comments"]})  # fmt: skip
                else:
                    self.send_json(200, {"id": node, "shares": {"count": fake.counts["shares"]},
                                     "likes": {"data": [], "summary": {"total_count": fake.counts["likes"]}},
                                     "comments": {"data": [], "summary": {"total_count": fake.counts["comments"]}}})  # fmt: skip

        self._server = LocalServer(Handler, port)
        self.url = self._server.url

    def posts(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["method"] == "POST"]

    def close(self) -> None:
        self._server.close()
