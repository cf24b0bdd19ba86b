"""A local server speaking the parts of X's API v2 that posting uses: POST /2/tweets and
GET /2/tweets/<id>?tweet.fields=public_metrics. It wants an OAuth 1.0a header for the
test's consumer key, can answer the first `throttle_first` posts with 429 and
x-rate-limit-reset, and keeps every request."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlsplit

from tests.local_server import JsonHandler, LocalServer

CREDENTIALS = "consumer-key:consumer-secret:access-token:access-secret"


class FakeX:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.throttle_first = 0
        fake = self

        class Handler(JsonHandler):
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
                    self.send_json(
                        401, {"title": "Unauthorized", "detail": "Unauthorized", "status": 401}
                    )
                    return
                posts = sum(1 for r in fake.requests if r["method"] == "POST")
                if method == "POST" and posts <= fake.throttle_first:
                    self.send_json(429, {"title": "Too Many Requests", "detail": "Too Many Requests"},
                               {"x-rate-limit-reset": str(int(time.time()) + 1)})  # fmt: skip
                    return
                if method == "POST":
                    self.send_json(201, {"data": {"id": f"18500000000000000{posts:02d}",
                                              "text": body["text"], "edit_history_tweet_ids": []}})  # fmt: skip
                    return
                tweet = urlsplit(self.path).path.rsplit("/", 1)[1]
                self.send_json(200, {"data": {"id": tweet, "text": "…", "public_metrics": {
                    "retweet_count": 4, "reply_count": 2, "like_count": 9, "quote_count": 1,
                    "bookmark_count": 0, "impression_count": 512}}})  # fmt: skip

        self._server = LocalServer(Handler)
        self.url = self._server.url

    def close(self) -> None:
        self._server.close()
