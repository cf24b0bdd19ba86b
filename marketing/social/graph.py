"""Meta's Graph API, the calls posting needs: publish to a Facebook Page (text, link,
photo) or an Instagram Business account (a photo with its caption, in two steps), read a
post's permalink and its engagement. There is no well-kept Python SDK for it; these are
plain HTTPS calls to META_GRAPH_URL with the account's token, which is never logged.

Rate limits come back as HTTP 429 (with Retry-After) or as Graph error codes 4, 17, 32,
613 and 80001-80014 with the wait in `X-Business-Use-Case-Usage`
(`estimated_time_to_regain_access`, minutes); both raise NetworkError(retry=True) with the
wait."""

from __future__ import annotations

import json
import os
from typing import Any

import urllib3
from django.conf import settings

RATE_LIMITED = {4, 17, 32, 613, *range(80001, 80015)}
_pool = urllib3.PoolManager(retries=False)


class NetworkError(Exception):
    def __init__(self, message: str, *, retry: bool, wait_seconds: float | None = None) -> None:
        super().__init__(message)
        self.retry, self.wait_seconds = retry, wait_seconds


def token_of(variable: str) -> str:
    token = os.environ.get(variable, "")
    if not token:
        raise NetworkError(f"the environment variable {variable} (the account's token) is empty",
                         retry=False)  # fmt: skip
    return token


def call(method: str, path: str, token: str, fields: dict[str, Any]) -> dict[str, Any]:
    url = f"{settings.META_GRAPH_URL.rstrip('/')}/{settings.META_GRAPH_VERSION}/{path}"
    params = {**{k: str(v) for k, v in fields.items() if v not in (None, "")},
              "access_token": token}  # fmt: skip
    timeout = urllib3.Timeout(connect=5, read=settings.SOCIAL_TIMEOUT_SECONDS)
    try:
        if method == "GET":
            response = _pool.request("GET", url, fields=params, timeout=timeout)
        else:
            response = _pool.request_encode_body("POST", url, fields=params, timeout=timeout,
                                                 encode_multipart=False)  # fmt: skip
    except urllib3.exceptions.HTTPError as exc:
        raise NetworkError(f"Graph API unreachable: {type(exc).__name__}", retry=True) from None
    try:
        body = json.loads(response.data or b"{}")
    except ValueError:
        body = {}
    if response.status < 400:
        return body
    error = body.get("error", {}) if isinstance(body, dict) else {}
    code = error.get("code")
    message = f"Graph API {response.status}" + (f" (code {code})" if code else "")
    message += f": {error.get('message', 'no message')}"
    if response.status == 429 or code in RATE_LIMITED:
        raise NetworkError(message, retry=True, wait_seconds=_wait(response))
    raise NetworkError(message, retry=response.status >= 500)


def _wait(response: Any) -> float:
    """The platform's own wait: Retry-After, else the usage header's time to regain
    access (minutes), else five minutes."""
    after = response.headers.get("Retry-After")
    if after and after.isdigit():
        return float(after)
    usage = response.headers.get("X-Business-Use-Case-Usage")
    if usage:
        try:
            entries = [e for items in json.loads(usage).values() for e in items]
            minutes = max(float(e.get("estimated_time_to_regain_access", 0)) for e in entries)
            if minutes:
                return minutes * 60
        except (ValueError, TypeError, AttributeError):
            pass
    return 300.0


def publish(platform: str, account_id: str, token: str, *, text: str, link: str,
            image_url: str) -> tuple[str, str]:  # fmt: skip
    """Publish; returns (the platform's post id, its permalink)."""
    if platform == "instagram":
        made = call("POST", f"{account_id}/media", token,
                    {"image_url": image_url, "caption": text})  # fmt: skip
        post_id = call("POST", f"{account_id}/media_publish", token,
                       {"creation_id": made["id"]})["id"]  # fmt: skip
        return post_id, call("GET", post_id, token, {"fields": "permalink"}).get("permalink", "")
    if image_url:
        made = call("POST", f"{account_id}/photos", token,
                    {"url": image_url, "message": f"{text}\n{link}".strip()})  # fmt: skip
        post_id = made.get("post_id") or made["id"]
    else:
        post_id = call("POST", f"{account_id}/feed", token, {"message": text, "link": link})["id"]
    found = call("GET", post_id, token, {"fields": "permalink_url"})
    return post_id, found.get("permalink_url", "")


def engagement(platform: str, post_id: str, token: str) -> dict[str, int]:
    """Likes, comments and shares (Facebook) or likes and comments (Instagram)."""
    if platform == "instagram":
        found = call("GET", post_id, token, {"fields": "like_count,comments_count"})
        counts = {"likes": int(found.get("like_count", 0)),
                  "comments": int(found.get("comments_count", 0))}  # fmt: skip
        return {**counts, **_reach(post_id, token, "reach")}
    fields = "shares,likes.summary(true).limit(0),comments.summary(true).limit(0)"
    found = call("GET", post_id, token, {"fields": fields})
    counts = {
        "likes": int(found.get("likes", {}).get("summary", {}).get("total_count", 0)),
        "comments": int(found.get("comments", {}).get("summary", {}).get("total_count", 0)),
        "shares": int(found.get("shares", {}).get("count", 0)),
    }
    return {**counts, **_reach(post_id, token, "post_impressions_unique")}


def _reach(post_id: str, token: str, metric: str) -> dict[str, int]:
    """How many accounts saw it, from the post's insights where the token may read
    them ({} otherwise: a Page without `read_insights` still gets its counts)."""
    try:
        found = call("GET", f"{post_id}/insights", token, {"metric": metric})
    except NetworkError as exc:
        if exc.retry:
            raise
        return {}
    for entry in found.get("data", []):
        if entry.get("name") == metric and entry.get("values"):
            return {"reach": int(entry["values"][0].get("value", 0))}
    return {}
