"""Email another app sends through the email path (analytics' reports): the kernel holds the
hook, marketing fills it (its templates, suppression, tracking and ledger apply), and the
sending app imports neither. Transactional: no marketing consent is asked, suppression
is honoured."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Attachment:
    """A file in the default storage sent with the email; with a `content_id` it is an
    inline image the HTML shows as `cid:<content_id>`."""

    filename: str
    content_type: str
    path: str
    content_id: str = ""

    def as_json(self) -> dict[str, str]:
        return {"filename": self.filename, "contentType": self.content_type,
                "path": self.path, "contentId": self.content_id}  # fmt: skip

    @classmethod
    def from_json(cls, data: dict[str, str]) -> Attachment:
        return cls(data["filename"], data["contentType"], data["path"], data.get("contentId", ""))


@dataclass(frozen=True)
class Rendered:
    subject: str
    html: str
    text: str


class Mailer(Protocol):
    def render(self, template: str, variables: dict[str, Any]) -> Rendered: ...

    def send(
        self,
        *,
        to: str,
        template: str,
        variables: dict[str, Any],
        attachments: list[Attachment],
        key: str,
        source: str,
    ) -> int: ...


class MailerUnavailable(Exception):
    """No mailer is installed, or the template cannot be rendered (the reason says which)."""


_mailer: list[Mailer] = []


def register_mailer(mailer: Mailer) -> None:
    _mailer[:] = [mailer]


def get_mailer() -> Mailer:
    if not _mailer:
        raise MailerUnavailable("no mailer is installed (the marketing app)")
    return _mailer[0]


def staff_addresses(configured: list[str], *, superusers_only: bool = False) -> list[str]:
    """Who operational email goes to: the configured addresses, else the active staff
    (or superusers) that have one."""
    if configured:
        return list(configured)
    from django.contrib.auth import get_user_model

    people = get_user_model().objects.filter(is_active=True, is_staff=True)
    if superusers_only:
        people = people.filter(is_superuser=True)
    return sorted(set(people.exclude(email="").values_list("email", flat=True)))
