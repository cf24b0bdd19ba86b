"""Local fakes the bot talks to: Meta's Graph API for sending messages (Messenger,
Instagram, WhatsApp Cloud API: checks the token, keeps every message) and a
Slack-compatible incoming webhook (keeps every post)."""

from __future__ import annotations

import json
import threading
from typing import Any
from urllib.parse import parse_qs

from tests.local_server import JsonHandler, LocalServer

PAGE_TOKEN, WHATSAPP_TOKEN = "page-token-9", "wa-token-9"


class FakeMessaging:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.posts: list[dict[str, Any]] = []  # to the team's webhook
        self._lock = threading.Lock()
        fake = self

        class Handler(JsonHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                if self.path == "/hooks/team":
                    with fake._lock:
                        fake.posts.append(json.loads(raw))
                    self.send_json(200, {"ok": True})
                    return
                params = {k: v[0] for k, v in parse_qs(raw).items()}
                node = self.path.split("/")[2]  # /v21.0/<id>/messages
                token = WHATSAPP_TOKEN if node == "PHONE1" else PAGE_TOKEN
                if params.pop("access_token", "") != token:
                    self.send_json(400, {"error": {"message": "Invalid OAuth access token.",
                                                   "code": 190}})  # fmt: skip
                    return
                with fake._lock:
                    fake.sent.append({"node": node, **{k: _json(v) for k, v in params.items()}})
                    count = len(fake.sent)
                if node == "PHONE1":
                    self.send_json(200, {"messaging_product": "whatsapp",
                                         "messages": [{"id": f"wamid.out{count}"}]})  # fmt: skip
                else:
                    self.send_json(200, {"recipient_id": "x", "message_id": f"m_out{count}"})

        self._server = LocalServer(Handler)
        self.url = self._server.url

    def texts(self) -> list[str]:
        return [m["text"]["body"] if "text" in m and isinstance(m["text"], dict)
                else m.get("message", {}).get("text", "") for m in self.sent]  # fmt: skip

    def close(self) -> None:
        self._server.close()


def _json(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value
