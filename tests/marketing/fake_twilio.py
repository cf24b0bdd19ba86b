"""A local server speaking Twilio's Messages API (the shapes the `twilio` SDK reads):
POST /2010-04-01/Accounts/<sid>/Messages.json answers 201 with the message, or a 429
for the first `fail_first` requests, or Twilio's 400 (code 21211) for a number in
`invalid`. Every request is kept (form fields and basic-auth user)."""

from __future__ import annotations

import base64
import threading
from typing import Any
from urllib.parse import parse_qs

from tests.local_server import JsonHandler, LocalServer


class FakeTwilio:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.fail_first = 0
        self.invalid: set[str] = set()
        self._lock = threading.Lock()
        fake = self

        class Handler(JsonHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"])).decode()
                form = {k: v[0] for k, v in parse_qs(raw).items()}
                user = base64.b64decode(self.headers["Authorization"].split()[1]).decode()
                with fake._lock:
                    fake.requests.append({"path": self.path, "form": form,
                                          "user": user.split(":")[0]})  # fmt: skip
                    n = len(fake.requests)
                if n <= fake.fail_first:
                    self.send_json(429, {"code": 20429, "message": "Too Many Requests",
                                     "more_info": "https://www.twilio.com/docs/errors/20429",
                                     "status": 429})  # fmt: skip
                    return
                if form.get("To") in fake.invalid:
                    self.send_json(400, {"code": 21211, "status": 400,
                                     "message": f"The 'To' number {form['To']} is not a "
                                                "valid phone number.",
                                     "more_info": "https://www.twilio.com/docs/errors/21211"})  # fmt: skip
                    return
                sid = f"SM{n:032d}"
                self.send_json(201, {
                    "sid": sid, "status": "accepted" if "MessagingServiceSid" in form
                    else "queued", "to": form.get("To"), "from": form.get("From"),
                    "body": form.get("Body"), "num_segments": "1", "direction": "outbound-api",
                    "messaging_service_sid": form.get("MessagingServiceSid"),
                    "account_sid": user.split(":")[0], "api_version": "2010-04-01",
                    "date_created": "Wed, 25 Nov 2026 12:00:00 +0000", "error_code": None,
                    "uri": f"{self.path.removesuffix('.json')}/{sid}.json",
                })  # fmt: skip

        self._server = LocalServer(Handler)
        self.url = self._server.url

    @property
    def sent(self) -> list[dict[str, str]]:
        return [r["form"] for r in self.requests]

    def close(self) -> None:
        self._server.close()
