"""Small charts drawn on the server as SVG (no script, no CDN): bars with a tooltip each,
used by the admin's dashboard and pages where a trend matters."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

Number = int | float | Decimal


def bar_chart(
    points: Sequence[tuple[str, Number]],
    *,
    title: str,
    unit: str = "",
    width: int = 320,
    height: int = 80,
    colour: str = "#417690",
    labelled: bool = False,
) -> SafeString:
    """One bar per (label, value), scaled to the largest; each bar's tooltip says its
    label and value, and `labelled` writes the label and value under each bar (for a few
    bars, like an A/B test's variants). Empty or all-zero data draws a baseline and says
    so."""
    top = max((float(value) for _, value in points), default=0.0)
    if not points or top <= 0:
        return format_html(
            '<svg role="img" aria-label="{}" width="{}" height="{}" class="bb-chart">'
            '<line x1="0" y1="{}" x2="{}" y2="{}" stroke="#ccc"/>'
            '<text x="4" y="{}" font-size="11" fill="#888">nothing yet</text></svg>',
            title, width, height, height - 1, width, height - 1, height / 2,
        )  # fmt: skip
    if labelled:
        return _labelled(points, title=title, unit=unit, width=width, height=height,
                         colour=colour)  # fmt: skip
    step = width / len(points)
    bars = format_html_join(
        "",
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {}{}</title></rect>',
        (
            (f"{index * step + 1:.1f}", f"{height - h:.1f}", f"{max(step - 2, 1):.1f}",
             f"{h:.1f}", colour, label, _plain(value), unit)
            for index, (label, value) in enumerate(points)
            for h in [max(float(value) / top * (height - 14), 0.5 if float(value) else 0)]
        ),
    )  # fmt: skip
    return format_html(
        '<svg role="img" aria-label="{}" width="{}" height="{}" class="bb-chart">{}'
        '<line x1="0" y1="{}" x2="{}" y2="{}" stroke="#ccc"/>'
        '<text x="{}" y="10" font-size="10" fill="#888" text-anchor="end">max {}{}</text>'
        "</svg>",
        title, width, height, bars, height - 0.5, width, height - 0.5, width, _plain(top), unit,
    )  # fmt: skip


def _labelled(
    points: Sequence[tuple[str, Number]], *, title: str, unit: str, width: int, height: int,
    colour: str,
) -> SafeString:  # fmt: skip
    """Bars with their label and value written beneath, in a 16 px band."""
    top = max(float(value) for _, value in points)
    step, room = width / len(points), height - 30
    bars = format_html_join(
        "",
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {}{}</title></rect>'
        '<text x="{}" y="{}" font-size="11" text-anchor="middle">{}: {}{}</text>',
        (
            (f"{index * step + 1:.1f}", f"{16 + room - h:.1f}", f"{max(step - 2, 1):.1f}",
             f"{h:.1f}", colour, label, _plain(value), unit,
             f"{index * step + step / 2:.1f}", height - 2, label, _plain(value), unit)
            for index, (label, value) in enumerate(points)
            for h in [max(float(value) / top * room, 0.5 if float(value) else 0)]
        ),
    )  # fmt: skip
    return format_html(
        '<svg role="img" aria-label="{}" width="{}" height="{}" class="bb-chart">{}'
        '<line x1="0" y1="{}" x2="{}" y2="{}" stroke="#ccc"/></svg>',
        title, width, height, bars, 16 + room + 0.5, width, 16 + room + 0.5,
    )  # fmt: skip


def _plain(value: Number) -> str:
    number = float(value)
    return f"{number:,.0f}" if number >= 100 or number == int(number) else f"{number:,.2f}"
