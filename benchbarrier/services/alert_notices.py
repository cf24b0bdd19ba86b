"""One notification about one rule's alerts (those that fired, reminders, those resolved):
an email to each operator through the kernel's mailer, and a post to the team's
Slack-compatible webhook, signed (X-Timestamp, X-Signature: sha256=HMAC of
"<timestamp>.<body>" with ALERT_WEBHOOK_SECRET) and sent through the SSRF guard. A channel
that fails is logged; the other still goes."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone

from benchbarrier import clock, outbound
from benchbarrier.mailer import MailerUnavailable, get_mailer, staff_addresses
from benchbarrier.models import AlertEvent, AlertEventKind, AlertRule, AlertState

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notice:
    rule: AlertRule
    subject: str
    lines: list[dict[str, Any]]  # kind, group, message, value, since, link

    @classmethod
    def of(cls, rule: AlertRule, events: list[AlertEvent],
           states: dict[str, AlertState]) -> Notice:  # fmt: skip
        lines = []
        for event in events:
            state = states.get(event.group)
            since = state.firing_since or state.since if state else None
            lines.append({
                "kind": AlertEventKind(event.kind).label, "group": event.group,
                "message": event.message, "value": str(event.value),
                "since": timezone.localtime(since).strftime("%Y-%m-%d %H:%M %Z") if since else "",
                "link": f"{settings.SITE_URL}{event.link}" if event.link else "",
            })  # fmt: skip
        resolved = all(e.kind == AlertEventKind.RESOLVED for e in events)
        state = "resolved" if resolved else "firing"
        count = f" ({len(events)})" if len(events) > 1 else ""
        subject = f"[{state.upper()}] {rule.name}{count}"
        return cls(rule, subject, lines)


def operators() -> list[str]:
    return staff_addresses(settings.ALERT_EMAILS, superusers_only=True)


def send_notice(notice: Notice) -> None:
    stamp = clock.now().isoformat()
    variables = {"alert": {"subject": notice.subject, "rule": notice.rule.name,
                           "severity": notice.rule.severity, "lines": notice.lines}}  # fmt: skip
    for address in operators():
        try:
            get_mailer().send(to=address, template="operations-alert", variables=variables,
                              attachments=[], key=f"alert:{notice.rule.pk}:{stamp}:{address}",
                              source="alerts")  # fmt: skip
        except MailerUnavailable as exc:
            logger.warning("alert email to %s not sent: %s", address, exc)
    if settings.ALERT_WEBHOOK_URL:
        _post(notice)


def _post(notice: Notice) -> None:
    text = "\n".join([f"*{notice.subject}*"] + [
        f"• {line['message']}" + (f" (since {line['since']})" if line["since"] else "")
        + (f" <{line['link']}|see why>" if line["link"] else "") for line in notice.lines
    ])  # fmt: skip
    body = json.dumps({"text": text, "rule": notice.rule.key, "alerts": notice.lines}).encode()
    headers = outbound.signed_headers(settings.ALERT_WEBHOOK_SECRET, body, clock.now())
    try:
        outbound.post(settings.ALERT_WEBHOOK_URL, body, headers,
                      allowed_hosts=settings.ALERT_WEBHOOK_ALLOWED_HOSTS)  # fmt: skip
    except Exception as exc:  # blocked, refused, unreachable: the email still went
        logger.warning("alert webhook not told of %s: %s", notice.subject, exc)
