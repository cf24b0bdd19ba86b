"""The admin's home: a dashboard of panels the apps register, and the navigation grouped
by what a marketer does. The kernel imports no app: each app places its own models and
registers its own panels from its `admin.py`.

    from benchbarrier.dashboard import Figure, Panel, panel, place

    place("Audience", Customer, Segment)

    @panel("Revenue", order=10)
    def revenue(request) -> Panel: ...
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse
from django.utils.safestring import SafeString

SECTIONS = ("Audience", "Automation", "Content", "Analytics", "Operations", "Settings")
# Tables of libraries, for superusers only: the scheduler's and Django's users and groups.
_LIBRARY_SECTIONS = {"django_celery_beat": "Operations", "auth": "Settings"}


@dataclass(frozen=True)
class Figure:
    label: str
    value: str
    link: str = ""  # the list behind the figure
    tone: str = ""  # "good", "warn" or "bad": how the figure should look


@dataclass
class Panel:
    title: str
    figures: list[Figure] = field(default_factory=list)
    chart: SafeString | str = ""
    note: str = ""
    link: str = ""


_places: dict[str, str] = {}  # "app_label.model_name" -> section
PanelFunc = Callable[[HttpRequest], Panel | None]


class PanelRegistry:
    """Panels of one page (the dashboard, the operations page), shown by `order`."""

    def __init__(self) -> None:
        self._panels: list[tuple[int, str, PanelFunc]] = []

    def register(self, name: str, *, order: int = 100) -> Callable[[PanelFunc], PanelFunc]:
        """`func(request) -> Panel | None` (None: nothing to show this user)."""

        def register(func: PanelFunc) -> PanelFunc:
            self._panels[:] = [p for p in self._panels if p[1] != name]
            self._panels.append((order, name, func))
            self._panels.sort(key=lambda p: (p[0], p[1]))
            return func

        return register

    def panels(self, request: HttpRequest) -> list[Panel]:
        return [found for _, _, func in self._panels if (found := func(request)) is not None]


_dashboard = PanelRegistry()


def place(section: str, *models: Any) -> None:
    """Show these models' admin pages under `section` in the navigation."""
    if section not in SECTIONS:
        raise ValueError(f'unknown section "{section}"; use one of {", ".join(SECTIONS)}')
    for model in models:
        _places[f"{model._meta.app_label}.{model._meta.model_name}"] = section


def section_of(app_label: str, model_name: str) -> tuple[str, bool]:
    """(section, superusers only) for a model's admin page."""
    placed = _places.get(f"{app_label}.{model_name}")
    if placed is not None:
        return placed, False
    return _LIBRARY_SECTIONS.get(app_label, "Settings"), True


def panel(name: str, *, order: int = 100) -> Callable[[PanelFunc], PanelFunc]:
    """Register a dashboard panel: `func(request) -> Panel | None` (None: nothing to
    show this user). Panels are shown by `order`."""
    return _dashboard.register(name, order=order)


def list_link(model: Any, **filters: Any) -> str:
    """The admin list of `model`, filtered (`list_link(Job, status__exact="failed")`)."""
    meta = model._meta
    url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
    return f"{url}?{urlencode(filters)}" if filters else url


def panels(request: HttpRequest) -> list[Panel]:
    return _dashboard.panels(request)
