"""X (Twitter): posts through API v2 (`POST /2/tweets`) with OAuth 1.0a user context,
signed by `oauthlib` (user tokens that do not expire, unlike OAuth 2.0's two hours);
engagement from the post's `public_metrics`. The account's variable holds its four
values, `consumer key:consumer secret:access token:access token secret`. A 429 waits
until `x-rate-limit-reset`."""

from __future__ import annotations

import json
import time
from typing import Any

import urllib3
from django.conf import settings
from oauthlib.oauth1 import Client

from marketing.social.graph import NetworkError

_pool = urllib3.PoolManager(retries=False)


def _call(method: str, path: str, credentials: str, body: dict[str, Any] | None = None,
          query: str = "") -> dict[str, Any]:  # fmt: skip
    parts = credentials.split(":")
    if len(parts) != 4 or not all(parts):
        raise NetworkError("the X account's variable needs consumer key:consumer secret:"
                           "access token:access token secret", retry=False)  # fmt: skip
    url = f"{settings.X_API_URL.rstrip('/')}{path}" + (f"?{query}" if query else "")
    signer = Client(parts[0], client_secret=parts[1], resource_owner_key=parts[2],
                    resource_owner_secret=parts[3])  # fmt: skip
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"} if body is not None else {}
    _, signed, _ = signer.sign(
        url, http_method=method, headers=headers
    )  # (a JSON body is not signed)
    timeout = urllib3.Timeout(connect=5, read=settings.SOCIAL_TIMEOUT_SECONDS)
    try:
        response = _pool.request(method, url, body=data, headers=signed, timeout=timeout)
    except urllib3.exceptions.HTTPError as exc:
        raise NetworkError(f"X unreachable: {type(exc).__name__}", retry=True) from None
    try:
        found = json.loads(response.data or b"{}")
    except ValueError:
        found = {}
    if response.status < 400:
        return found
    detail = found.get("detail") or found.get("title") or "no message"
    message = f"X {response.status}: {detail}"
    if response.status == 429:
        reset = response.headers.get("x-rate-limit-reset", "")
        wait = max(float(reset) - time.time(), 1) if reset.isdigit() else 900.0
        raise NetworkError(message, retry=True, wait_seconds=wait)
    raise NetworkError(message, retry=response.status >= 500)


def publish(platform: str, account_id: str, token: str, *, text: str, link: str,
            image_url: str) -> tuple[str, str]:  # fmt: skip
    if image_url:
        raise NetworkError("posts to X take text and a link here, not an image", retry=False)
    found = _call("POST", "/2/tweets", token, {"text": f"{text} {link}".strip()})
    post_id = found["data"]["id"]
    return post_id, f"https://x.com/{account_id}/status/{post_id}"


def engagement(platform: str, post_id: str, token: str) -> dict[str, int]:
    found = _call("GET", f"/2/tweets/{post_id}", token, query="tweet.fields=public_metrics")
    metrics = found.get("data", {}).get("public_metrics", {})
    counts = {
        "likes": metrics.get("like_count", 0),
        "comments": metrics.get("reply_count", 0),
        "shares": metrics.get("retweet_count", 0) + metrics.get("quote_count", 0),
    }
    if "impression_count" in metrics:
        counts["reach"] = metrics["impression_count"]
    return {name: int(value) for name, value in counts.items()}
