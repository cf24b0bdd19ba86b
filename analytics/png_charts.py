"""Charts as PNG images for email (mail clients show images, not SVG or scripts): drawn
on the server by matplotlib's Agg canvas, without pyplot (no global state, safe in a
worker's threads)."""

from __future__ import annotations

import io
from decimal import Decimal

INK, ACCENT, MUTED = "#1f3a2e", "#c8553d", "#9aa59f"


def bars_png(title: str, bars: list[tuple[str, Decimal | int | None]]) -> bytes:
    """One bar per (label, value), the last (this period) in the accent colour; a period
    without a value is an empty slot labelled "n/a"."""
    # (imported here: every process loads this module, few draw)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 2.2), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    values = [float(v) if v is not None else 0.0 for _, v in bars]
    colours = [MUTED] * (len(bars) - 1) + [ACCENT]
    drawn = axes.bar(range(len(bars)), values, color=colours, width=0.7)
    labels = [label if value is not None else f"{label}\nn/a" for label, value in bars]
    axes.set_xticks(range(len(bars)), labels, fontsize=7, color=INK)
    axes.bar_label(drawn, labels=[_short(v) for _, v in bars], fontsize=7, color=INK, padding=2)
    axes.set_title(title, fontsize=9, color=INK, loc="left")
    axes.tick_params(axis="y", labelsize=7, colors=INK)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.margins(y=0.2)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _short(value: Decimal | int | None) -> str:
    if value is None:
        return ""
    number = float(value)
    if abs(number) >= 1_000_000:
        return f"{number / 1_000_000:.1f}M"
    if abs(number) >= 10_000:
        return f"{number / 1_000:.0f}k"
    return f"{number:,.0f}" if number == int(number) or abs(number) >= 100 else f"{number:.3g}"
