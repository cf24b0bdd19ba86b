"""Messenger, Instagram and WhatsApp (Meta's Cloud API): the webhook's verification
handshake and signature, the customer messages a delivery holds, and replies through the
Graph API (`marketing.social.graph`, the client posting already uses).

Settings (CHATBOT_META, from CHATBOT_META_* variables): APP_SECRET signs every delivery
(X-Hub-Signature-256 over the raw body; without it every delivery is refused),
VERIFY_TOKEN answers Meta's subscription handshake, PAGE_ID + PAGE_TOKEN send on
Messenger and Instagram, WHATSAPP_PHONE_ID + WHATSAPP_TOKEN on WhatsApp.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from chatbot.models import BotMessage, Channel
from marketing.social import graph

CHANNELS = {"messenger": Channel.FACEBOOK, "instagram": Channel.INSTAGRAM,
            "whatsapp": Channel.WHATSAPP}  # fmt: skip


class Refused(Exception):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Inbound:
    contact: str  # page-scoped id, or the WhatsApp number
    text: str
    message_id: str
    name: str = ""


def _setting(name: str) -> str:
    return str(settings.CHATBOT_META.get(name, ""))


def verify_subscription(params: dict[str, str]) -> str:
    """The challenge to echo when Meta's handshake carries our verify token."""
    expected = _setting("VERIFY_TOKEN")
    given = params.get("hub.verify_token", "")
    if not expected:
        raise Refused("CHATBOT_META_VERIFY_TOKEN is not set", 403)
    if params.get("hub.mode") != "subscribe" or not hmac.compare_digest(given, expected):
        raise Refused("wrong hub.mode or hub.verify_token", 403)
    return params.get("hub.challenge", "")


def check_signature(body: bytes, header: str | None) -> None:
    secret = _setting("APP_SECRET")
    if not secret:
        raise Refused("CHATBOT_META_APP_SECRET is not set: deliveries cannot be checked", 403)
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not header or not hmac.compare_digest(header, expected):
        raise Refused("X-Hub-Signature-256 does not match the body", 401)


def messages_in(channel: str, payload: Any) -> list[Inbound]:
    """The customers' messages a delivery holds (echoes, reads and statuses skipped)."""
    found: list[Inbound] = []
    for entry in payload.get("entry", []) if isinstance(payload, dict) else []:
        if not isinstance(entry, dict):
            continue
        found += _whatsapp(entry) if channel == Channel.WHATSAPP else _messenger(entry)
    return found


def _messenger(entry: dict) -> list[Inbound]:
    found = []
    for event in entry.get("messaging", []):
        message = event.get("message") if isinstance(event, dict) else None
        if not isinstance(message, dict) or message.get("is_echo") or not message.get("mid"):
            continue
        text = message.get("text") or "[an attachment]"
        sender = event.get("sender", {})
        found.append(Inbound(str(sender.get("id", "")) if isinstance(sender, dict) else "",
                             str(text), str(message["mid"])))  # fmt: skip
    return found


def _whatsapp(entry: dict) -> list[Inbound]:
    found = []
    for change in entry.get("changes", []):
        value = change.get("value", {}) if isinstance(change, dict) else {}
        names = {c.get("wa_id"): c.get("profile", {}).get("name", "")
                 for c in value.get("contacts", []) if isinstance(c, dict)}  # fmt: skip
        for message in value.get("messages", []):
            if not isinstance(message, dict) or not message.get("id"):
                continue
            kind = message.get("type", "text")
            text = message.get("text", {}).get("body", "") if kind == "text" else f"[{kind}]"
            sender = str(message.get("from", ""))
            found.append(Inbound(sender, str(text), str(message["id"]), names.get(sender, "")))
    return found


def _whatsapp_content(message: BotMessage) -> dict[str, str]:
    template = message.metadata.get("template")
    if template:
        spec = {"name": template, "language": {"code": "en_US"}}
        return {"type": "template", "template": json.dumps(spec)}
    return {"type": "text", "text": json.dumps({"body": message.content})}


def send(message: BotMessage) -> str:
    """Send a bot or agent message to its customer; returns the platform's message id."""
    conversation = message.conversation
    if conversation.channel == Channel.WHATSAPP:
        fields = {"messaging_product": "whatsapp", "to": conversation.contact,
                  **_whatsapp_content(message)}  # fmt: skip
        answer = graph.call("POST", f"{_setting('WHATSAPP_PHONE_ID')}/messages",
                            _setting("WHATSAPP_TOKEN"), fields)  # fmt: skip
        return str((answer.get("messages") or [{}])[0].get("id", ""))
    answer = graph.call("POST", f"{_setting('PAGE_ID')}/messages", _setting("PAGE_TOKEN"), {
        "recipient": json.dumps({"id": conversation.contact}),
        "messaging_type": "RESPONSE",
        "message": json.dumps({"text": message.content}),
    })  # fmt: skip
    return str(answer.get("message_id", ""))
