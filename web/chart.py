"""Charts as inline SVG: no script, no CDN, nothing to download.

A year chart has a continuous axis: every year from the first to the last
match is a slot, an empty year is a visible zero, so a gap in the record looks
like a gap and not like two neighbouring years. Each bar is a link (drill
down); each has a ``<title>`` a screen reader and a hover read (the SVG is a
``group``, not an ``img``: an image's links would be hidden from a screen
reader). Labels are
escaped here because the templates insert the SVG as markup.
"""
from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

from search.text import ascii_int

GAP = 6
SLOT = 22  # a year's width on a timeline
PLOT_H = 120
AXIS_H = 34
LEFT = 34  # room for the scale
ROW_H = 46  # one district's strip in the comparison
SERIES_LABEL_W = 86
MIN_WIDTH = 640  # a few years get wide bars, not a stretched thumbnail
MAX_YEARS = 80  # a timeline never draws more slots than this: the oldest years fold into the first
PALETTE = ("#c0392b", "#1f6fb2", "#2e8b57", "#8e44ad", "#d35400", "#16a085", "#7f8c8d", "#b7950b")


@dataclass(frozen=True)
class YearSpan:
    """The years a timeline shows: first to last, every one in between."""

    first: int
    last: int

    @classmethod
    def of(cls, *counts: dict) -> "YearSpan | None":
        years = [int(y) for c in counts for y, n in c.items() if ascii_int(str(y)) is not None and n]
        if not years:
            return None
        first, last = min(years), max(years)
        return cls(max(first, last - MAX_YEARS + 1), last)

    def years(self) -> list[int]:
        return list(range(self.first, self.last + 1))

    def folded(self, counts: dict) -> dict[int, int]:
        """Every year of the span with its count (0 where none); years before
        the span are added to its first year."""
        out = {y: 0 for y in self.years()}
        for y, n in counts.items():
            if ascii_int(str(y)) is not None:
                slot = max(int(y), self.first)
                out[slot] = out.get(slot, 0) + n
        return out


def _label_every(n_years: int) -> int:
    return 1 if n_years <= 12 else 2 if n_years <= 24 else 5


def _nice_peak(peak: int) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000, 20000, 50000):
        if peak <= step * 4:
            return -(-peak // step) * step
    return peak


def timeline(counts: dict, link, title: str, unit: str) -> Markup:
    """``counts``: year → count; ``link(year)``: the URL a bar drills to."""
    span = YearSpan.of(counts)
    if span is None:
        return Markup("")
    values = span.folded(counts)
    years = span.years()
    peak = _nice_peak(max(values.values()) or 1)
    slot = max(SLOT, (MIN_WIDTH - LEFT - GAP) // len(years))
    width = LEFT + len(years) * slot + GAP
    every = _label_every(len(years))
    parts = [f'<svg class="chart timeline" role="group" viewBox="0 0 {width} {PLOT_H + AXIS_H}" '
             f'data-first="{span.first}" data-last="{span.last}" aria-label="{escape(title)}">',
             f"<title>{escape(title)}</title>",
             f'<line class="axis" x1="{LEFT}" y1="{PLOT_H}" x2="{width - GAP}" y2="{PLOT_H}"></line>',
             f'<text class="scale" x="{LEFT - 4}" y="{14}">{peak}</text>',
             f'<text class="scale" x="{LEFT - 4}" y="{PLOT_H}">0</text>']
    for i, year in enumerate(years):
        value = values[year]
        x = LEFT + i * slot + 3
        h = round((PLOT_H - 16) * value / peak) if value else 0
        y = PLOT_H - h
        bar_w = min(slot - 6, 48)
        label = f'<text class="label" x="{x + bar_w / 2}" y="{PLOT_H + 16}">{year}</text>' \
            if i % every == 0 or i == len(years) - 1 else ""
        bar = (f'<g class="bar" data-year="{year}" data-count="{value}">'
               f"<title>{year}年：{value} {escape(unit)}</title>"
               f'<rect class="hitbox" x="{x - 2}" y="0" width="{slot - 2}" height="{PLOT_H}"></rect>'
               f'<rect class="value-bar" x="{x}" y="{y}" width="{bar_w}" height="{h}"></rect>'
               + (f'<text class="value" x="{x + bar_w / 2}" y="{y - 3}">{value}</text>' if value else "")
               + "</g>")
        parts.append((f'<a href="{escape(link(year))}" aria-label="{year}年 {value} {escape(unit)}">{bar}</a>'
                      if value else bar) + label)
    parts.append("</svg>")
    return Markup("".join(parts))


def comparison(series: list[tuple[str, dict, str]], title: str, unit: str) -> Markup:
    """Districts year by year on one shared, continuous year axis and one
    scale: a strip per district, so "who wrote about it first, and how much
    each year" is read straight down a column. ``series``: (district,
    year → count, the URL that selects it)."""
    span = YearSpan.of(*[c for _, c, _ in series])
    if span is None:
        return Markup("")
    years = span.years()
    folded = [(name, span.folded(c), url) for name, c, url in series]
    peak = max((max(v.values()) for _, v, _ in folded), default=1) or 1
    slot = max(SLOT, (MIN_WIDTH - SERIES_LABEL_W - GAP) // len(years))
    bar_w = min(slot - 6, 48)
    width = SERIES_LABEL_W + len(years) * slot + GAP
    height = len(folded) * ROW_H + AXIS_H
    every = _label_every(len(years))
    parts = [f'<svg class="chart comparison" role="group" viewBox="0 0 {width} {height}" '
             f'data-first="{span.first}" data-last="{span.last}" aria-label="{escape(title)}">',
             f"<title>{escape(title)}</title>"]
    for row, (name, values, url) in enumerate(folded):
        top = row * ROW_H
        base = top + ROW_H - 8
        colour = PALETTE[row % len(PALETTE)]
        first_year = next((y for y in years if values[y]), None)
        parts.append(f'<g class="series" data-district="{escape(name)}" data-first-year="{first_year or ""}">'
                     f'<a href="{escape(url)}"><text class="series-label" x="0" y="{base - 12}">{escape(name)}</text>'
                     f'<text class="series-total" x="0" y="{base + 2}">共 {sum(values.values())} {escape(unit)}</text></a>'
                     f'<line class="axis" x1="{SERIES_LABEL_W}" y1="{base}" x2="{width - GAP}" y2="{base}"></line>')
        for i, year in enumerate(years):
            value = values[year]
            if not value:
                continue
            x = SERIES_LABEL_W + i * slot + 3
            h = max(2, round((ROW_H - 22) * value / peak))
            parts.append(f'<g class="bar" data-year="{year}" data-count="{value}">'
                         f"<title>{escape(name)} {year}年：{value} {escape(unit)}</title>"
                         f'<rect x="{x}" y="{base - h}" width="{bar_w}" height="{h}" fill="{colour}"></rect>'
                         f'<text class="value" x="{x + bar_w / 2}" y="{base - h - 2}">{value}</text></g>')
        parts.append("</g>")
    axis_y = len(folded) * ROW_H + 14
    for i, year in enumerate(years):
        if i % every == 0 or i == len(years) - 1:
            parts.append(f'<text class="label" x="{SERIES_LABEL_W + i * slot + 3 + bar_w / 2}" y="{axis_y}">{year}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
