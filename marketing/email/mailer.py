"""The kernel's mailer (`benchbarrier.mailer`), filled by marketing: other apps' emails
(analytics' reports) are deliveries like any other, from a template, with attachments."""

from __future__ import annotations

from typing import Any

from benchbarrier.mailer import Attachment, MailerUnavailable, Rendered
from marketing.email.rendering import render_email
from marketing.email.services import queue_email
from marketing.models import EmailKind, EmailTemplate


class EmailPathMailer:
    def render(self, template: str, variables: dict[str, Any]) -> Rendered:
        found = EmailTemplate.objects.filter(slug=template).first()
        if found is None:
            raise MailerUnavailable(f'no email template "{template}"')
        try:
            rendered = render_email(found, variables, customer=None, to_email="")
        except ValueError as exc:
            raise MailerUnavailable(str(exc)) from None
        return Rendered(rendered.subject, rendered.html, rendered.text)

    def send(
        self,
        *,
        to: str,
        template: str,
        variables: dict[str, Any],
        attachments: list[Attachment],
        key: str,
        source: str,
    ) -> int:
        """Queue the email (the same key: the first delivery, not a second one)."""
        try:
            delivery = queue_email(
                template=template, variables=variables, to=to, kind=EmailKind.TRANSACTIONAL,
                source=source, idempotency_key=key,
                attachments=[a.as_json() for a in attachments],
            )  # fmt: skip
        except ValueError as exc:
            raise MailerUnavailable(str(exc)) from None
        return delivery.pk
