"""Reading the API's error body in tests."""

from __future__ import annotations

from typing import Any


def error_fields(response: Any) -> dict[str | None, str]:
    """`{field: code}` of an error response, e.g. `{"jobs[3].jobType": "invalid"}`."""
    return {e["field"]: e["code"] for e in response.json()["errors"]}
