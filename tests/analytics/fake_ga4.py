"""A local fake of the GA4 Data API's REST surface (`properties/{id}:runReport`), so the
real `google-analytics-data` client is what the tests drive: rows by date, source /
medium and campaign, paged by limit and offset, the property's quota on each answer
(tokens spent per request), and answers a test can switch to 429 or 403."""

from __future__ import annotations

import json
import threading
from typing import Any

from tests.local_server import JsonHandler, LocalServer


class FakeGa4:
    def __init__(self) -> None:
        # "20261201" -> [(source / medium, campaign, sessions, users, engaged, key events)]
        self.days: dict[str, list[tuple]] = {}
        self.cost = 10  # tokens a request spends
        self.hour_left, self.day_left = 40_000, 200_000
        self.mode = "ok"  # ok, 429, 403
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(JsonHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
                with fake._lock:
                    fake.requests.append({"path": self.path, "body": body})
                    self._answer(body)

            def _answer(self, body: dict) -> None:
                if fake.mode == "429":
                    self.send_json(429, {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED",
                                                   "message": "Exhausted property tokens per hour"}})  # fmt: skip
                    return
                if fake.mode == "403":
                    self.send_json(403, {"error": {"code": 403, "status": "PERMISSION_DENIED",
                                                   "message": "User does not have sufficient permissions for this property."}})  # fmt: skip
                    return
                day = body["dateRanges"][0]["startDate"].replace("-", "")
                found = fake.days.get(day, [])
                offset, limit = int(body.get("offset", 0)), int(body.get("limit", 10_000))
                fake.hour_left -= fake.cost
                fake.day_left -= fake.cost
                page = found[offset : offset + limit]
                self.send_json(200, {
                    "dimensionHeaders": [{"name": d["name"]} for d in body["dimensions"]],
                    "metricHeaders": [{"name": m["name"], "type": "TYPE_INTEGER"}
                                      for m in body["metrics"]],
                    "rows": [{"dimensionValues": [{"value": day}, {"value": r[0]}, {"value": r[1]}],
                              "metricValues": [{"value": str(v)} for v in r[2:]]} for r in page],
                    "rowCount": len(found),
                    "propertyQuota": {
                        "tokensPerDay": {"consumed": fake.cost, "remaining": fake.day_left},
                        "tokensPerHour": {"consumed": fake.cost, "remaining": fake.hour_left},
                        "concurrentRequests": {"consumed": 0, "remaining": 10},
                    },
                    "kind": "analyticsData#runReport",
                })  # fmt: skip

        self._server = LocalServer(Handler)
        self.url = self._server.url

    def close(self) -> None:
        self._server.close()
