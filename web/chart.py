"""A small bar chart as inline SVG: no script, no CDN, nothing to download.

Labels are escaped here because the template inserts the SVG as markup.
"""
from __future__ import annotations

from markupsafe import Markup, escape

BAR_W = 26
GAP = 6
HEIGHT = 90
LABEL_H = 34


def bar_chart(counts: list[tuple[str, int, str]], title: str) -> Markup:
    """``counts``: (label, value, link) in display order."""
    if not counts:
        return Markup("")
    peak = max(v for _, v, _ in counts) or 1
    width = len(counts) * (BAR_W + GAP) + GAP
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {width} {HEIGHT + LABEL_H}" '
             f'width="{width}" height="{HEIGHT + LABEL_H}" aria-label="{escape(title)}">',
             f"<title>{escape(title)}</title>"]
    for i, (label, value, link) in enumerate(counts):
        x = GAP + i * (BAR_W + GAP)
        h = max(1, round((HEIGHT - 14) * value / peak)) if value else 0
        y = HEIGHT - h
        parts.append(f'<a href="{escape(link)}"><g class="bar">'
                     f"<title>{escape(label)}：{value} 段</title>"
                     f'<rect x="{x}" y="{y}" width="{BAR_W}" height="{h}"></rect>'
                     f'<text class="value" x="{x + BAR_W / 2}" y="{y - 3}">{value}</text>'
                     f'<text class="label" x="{x + BAR_W / 2}" y="{HEIGHT + 14}">{escape(_short(label))}</text>'
                     "</g></a>")
    parts.append("</svg>")
    return Markup("".join(parts))


def _short(label: str) -> str:
    return label if len(label) <= 4 else label[:3] + "…"
