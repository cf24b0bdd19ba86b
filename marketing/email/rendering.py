"""Render an email template: declared variables checked first, every value escaped in
HTML, the content placed in the branded layout, links collected (and rewritten for
click tracking when a delivery is being sent)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from html import unescape
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template import Context, Engine, Template, TemplateSyntaxError
from django.utils.safestring import mark_safe

from benchbarrier.rules import json_value
from marketing.models import Customer, EmailTemplate

DEFAULTS_DIR = Path(settings.BASE_DIR) / "templates" / "emails" / "defaults"
_MARK = "\u2063"
_MISSING = re.compile(f"{_MARK}MISSING:([^{_MARK}]*){_MARK}")
_HREF = re.compile(r'href="(https?://[^"]+)"')
_ANY_HREF = re.compile(r"""\shref\s*=\s*(["'])(.*?)\1""", re.IGNORECASE | re.DOTALL)
SAFE_SCHEMES = ("http://", "https://", "mailto:", "tel:", "#")
BUILT_IN = ("customer", "site_name", "site_url", "unsubscribe_url")


class MissingVariable(ValueError):
    """The template needs a variable the caller did not pass."""

    def __init__(self, template: str, name: str) -> None:
        self.template, self.name = template, name
        super().__init__(f'template "{template}" needs the variable "{name}", which was not given')


class TemplateProblem(ValueError):
    """A template that does not compile; `field` names the part (subject, html_body...)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


def _engine(autoescape: bool) -> Engine:
    return Engine(autoescape=autoescape, string_if_invalid=f"{_MARK}MISSING:%s{_MARK}")


_HTML = _engine(autoescape=True)
_TEXT = _engine(autoescape=False)


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    html: str
    text: str
    links: list[str] = field(default_factory=list)
    unsubscribe_url: str = ""
    # (filename, content type, bytes, content id: an inline image when not empty)
    files: tuple[tuple[str, str, bytes, str], ...] = ()
    dropped_links: tuple[str, ...] = ()  # hrefs of a scheme no email may link to


def drop_unsafe_links(html: str) -> tuple[str, tuple[str, ...]]:
    """Only http, https, mailto and tel links (and #anchors) are kept: a `javascript:`,
    `data:` or `vbscript:` URL from an event's properties loses its href (the text
    stays). Returns the HTML and what was dropped."""
    dropped: list[str] = []

    def check(match: re.Match) -> str:
        url = unescape(match.group(2))
        plain = re.sub(r"[\x00-\x20]", "", url).lower()
        if plain.startswith(SAFE_SCHEMES):
            return match.group(0)
        dropped.append(url)
        return ""

    return _ANY_HREF.sub(check, html), tuple(dropped)


def check_template(template: EmailTemplate) -> None:
    """Raises TemplateProblem for a part that does not compile."""
    for name, engine in (("subject", _TEXT), ("html_body", _HTML), ("text_body", _TEXT)):
        try:
            engine.from_string(getattr(template, name))
        except TemplateSyntaxError as exc:
            raise TemplateProblem(name, str(exc)) from None


def render_email(
    template: EmailTemplate,
    variables: dict[str, Any],
    *,
    customer: Customer | None,
    to_email: str,
    unsubscribe_url: str = "",
    open_pixel_url: str = "",
    track_link: Callable[[int, str], str] | None = None,
    subject: str = "",
) -> RenderedEmail:
    """Raises MissingVariable before anything is produced when a declared variable (or
    any variable the template uses, loops included) is missing."""
    context = {
        **variables,
        "customer": _customer(customer, to_email),
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "unsubscribe_url": unsubscribe_url,
    }
    for path in template.variables:
        if json_value(context, tuple(path.split("."))) is None:
            raise MissingVariable(template.slug, path)
    subject = " ".join(_render(_TEXT, subject or template.subject, context, template.slug).split())
    content, dropped = drop_unsafe_links(_render(_HTML, template.html_body, context,
                                                 template.slug))  # fmt: skip
    text = _render(_TEXT, template.text_body, context, template.slug)
    links: list[str] = []
    for url in _HREF.findall(content):
        if url not in links:
            links.append(url)
    if track_link is not None:
        content = _HREF.sub(
            lambda m: f'href="{track_link(links.index(m.group(1)), m.group(1))}"', content
        )
    layout = {
        "subject": subject,
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "postal_address": settings.EMAIL_POSTAL_ADDRESS,
        "unsubscribe_url": unsubscribe_url,
        "open_pixel_url": open_pixel_url,
    }
    safe_content = mark_safe(content)  # noqa: S308 (rendered with autoescape just above)
    html = _layout("base.html", _HTML).render(Context({**layout, "content": safe_content}))
    text = _layout("base.txt", _TEXT).render(
        Context({**layout, "content": text}, autoescape=False)
    )
    return RenderedEmail(subject, html, text, links, unsubscribe_url, dropped_links=dropped)


@cache
def _layout(name: str, engine: Engine) -> Template:
    """The branded layout (`templates/emails/base.*`), compiled once per process."""
    return engine.from_string((DEFAULTS_DIR.parent / name).read_text())


@lru_cache(maxsize=1024)
def _compiled(engine: Engine, source: str) -> Template:
    """Compiled templates by source text: an edit is new text, so never stale."""
    return engine.from_string(source)


def _render(engine: Engine, source: str, context: dict[str, Any], slug: str) -> str:
    output = _compiled(engine, source).render(Context(context, autoescape=engine.autoescape))
    missing = _MISSING.search(output)
    if missing:
        raise MissingVariable(slug, missing.group(1) or "?")
    return output


def _customer(customer: Customer | None, to_email: str) -> dict[str, str]:
    return {
        "name": customer.name if customer else "",
        "first_name": customer.first_name if customer else "",
        "email": to_email,
    }


# --- shipped defaults ------------------------------------------------------------------


def read_default(path: Path) -> dict[str, Any]:
    """Parse one `templates/emails/defaults/<slug>.email` file."""
    header, _, rest = path.read_text().partition("--- html\n")
    html, _, rest = rest.partition("--- text\n")
    text, _, sample = rest.partition("--- sample\n")
    meta = {}
    for line in header.splitlines():
        key, _, value = line.partition(":")
        meta[key.strip()] = value.strip()
    return {
        "slug": path.stem,
        "name": meta["name"],
        "kind": meta["kind"],
        "category": meta["category"],
        "subject": meta["subject"],
        "variables": [v.strip() for v in meta.get("variables", "").split(",") if v.strip()],
        "html_body": html.strip() + "\n",
        "text_body": text.strip() + "\n",
        "sample_data": json.loads(sample) if sample.strip() else {},
    }


def install_default_templates() -> list[str]:
    """Copy shipped templates that are not in the database yet (edits are kept)."""
    existing = set(EmailTemplate.objects.values_list("slug", flat=True))
    created = []
    for path in sorted(DEFAULTS_DIR.glob("*.email")):
        if path.stem not in existing:
            EmailTemplate.objects.create(**read_default(path))
            created.append(path.stem)
    return created
