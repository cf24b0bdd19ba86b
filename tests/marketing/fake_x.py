"""A local server speaking the parts of X's API v2 that posting uses: POST /2/tweets and
GET /2/tweets/<id>?tweet.fields=public_metrics. It wants an OAuth 1.0a header for the
test's consumer key, can answer the first `throttle_first` posts with 429 and
x-rate-limit-reset, and keeps every request."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

CREDENTIALS = "consumer-key:consumer-secret:access-token:access-secret"


class FakeX:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.throttle_first = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._answer("GET", None)

            def do_POST(self) -> None:
                self._answer(
                    "POST", json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                )

            def _answer(self, method: str, body: Any) -> None:
                auth = self.headers.get("Authorization", "")
                fake.requests.append(
                    {"method": method, "path": self.path, "body": body, "auth": auth}
                )
                if not auth.startswith("OAuth ") or 'oauth_consumer_key="consumer-key"' not in auth \
                        or "oauth_signature=" not in auth:  # fmt: skip
                    self._send(
                        401, {"title": "Unauthorized", "detail": "Unauthorized", "status": 401}
                    )
                    return
                posts = sum(1 for r in fake.requests if r["method"] == "POST")
                if method == "POST" and posts <= fake.throttle_first:
                    self._send(429, {"title": "Too Many Requests", "detail": "Too Many Requests"},
                               {"x-rate-limit-reset": str(int(time.time()) + 1)})  # fmt: skip
                    return
                if method == "POST":
                    self._send(201, {"data": {"id": f"18500000000000000{posts:02d}",
                                              "text": body["text"], "edit_history_tweet_ids": []}})  # fmt: skip
                    return
                tweet = urlsplit(self.path).path.rsplit("/", 1)[1]
                self._send(200, {"data": {"id": tweet, "text": "…", "public_metrics": {
                    "retweet_count": 4, "reply_count": 2, "like_count": 9, "quote_count": 1,
                    "bookmark_count": 0, "impression_count": 512}}})  # fmt: skip

            def _send(self, code: int, body: dict, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
