"""Marking what matched, in the paragraph's own script.

The paragraph is re-analyzed with the index analyzer, which reports each
token's offsets in the original text, so a simplified query word marks
營商環境 in a traditional paragraph. Overlapping matches merge into one mark, so
a matched long word is never marked as a bare sub-word of itself.
"""
from __future__ import annotations

from html import escape

from . import analysis

SNIPPET_CHARS = 160


def match_spans(text: str, words: set[str]) -> list[tuple[int, int]]:
    if not words or not text:
        return []
    spans = sorted((t.startchar, t.endchar) for t in analysis.index_analyzer()(text) if t.text in words)
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def _window(text: str, spans: list[tuple[int, int]], size: int) -> tuple[int, int]:
    if len(text) <= size:
        return 0, len(text)
    if not spans:
        return 0, size
    best, best_count = spans[0][0], -1
    for start, _ in spans:
        lo = max(0, start - size // 4)
        count = sum(1 for s, e in spans if s >= lo and e <= lo + size)
        if count > best_count:
            best, best_count = lo, count
    lo = min(best, len(text) - size)
    return lo, lo + size


def render(text: str, spans: list[tuple[int, int]], lo: int = 0, hi: int | None = None,
           open_tag: str = "<mark>", close_tag: str = "</mark>", escape_html: bool = True) -> str:
    hi = len(text) if hi is None else hi
    esc = escape if escape_html else (lambda s: s)
    out = []
    pos = lo
    for start, end in spans:
        if end <= lo or start >= hi:
            continue
        start, end = max(start, lo), min(end, hi)
        out.append(esc(text[pos:start]))
        out.append(open_tag + esc(text[start:end]) + close_tag)
        pos = end
    out.append(esc(text[pos:hi]))
    return "".join(out)


def snippet(text: str, words: set[str], size: int = SNIPPET_CHARS, **kwargs) -> str:
    """An HTML-escaped excerpt around the best cluster of matches."""
    spans = match_spans(text, words)
    lo, hi = _window(text, spans, size)
    body = render(text, spans, lo, hi, **kwargs)
    return ("…" if lo > 0 else "") + body + ("…" if hi < len(text) else "")
