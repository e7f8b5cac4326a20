"""Marks as the edges show them. The service answers with offsets — each
hit's match spans in its own text, the excerpt's window, the spans in its
heading path — and only the edges turn them into markup: the JSON
contract's ``<mark>`` snippet (CLI ``--json`` and ``/api/search``), the web
page's marked heading paths and document, the terminal's colours.
"""
from __future__ import annotations

from html import escape

from .engine import SECTION_SEPARATOR

# what the edges render marks from; not part of the JSON contract
INTERNAL_HIT_KEYS = ("spans", "window", "section_path", "section_spans")


def marked(text: str, spans, lo: int = 0, hi: int | None = None, open_mark: str = "<mark>",
           close_mark: str = "</mark>", quote=escape) -> str:
    """``text[lo:hi]`` with each span wrapped in marks; ``quote`` makes the
    text safe for where it goes (HTML-escaped by default)."""
    hi = len(text) if hi is None else hi
    out = []
    pos = lo
    for start, end in spans:
        if end <= lo or start >= hi:
            continue
        start, end = max(start, lo), min(end, hi)
        out.append(quote(text[pos:start]))
        out.append(open_mark + quote(text[start:end]) + close_mark)
        pos = end
    out.append(quote(text[pos:hi]))
    return "".join(out)


def excerpt(hit: dict, **marks) -> str:
    """The hit's excerpt with its matches marked, "…" where text is cut."""
    text = hit["text"]
    lo, hi = hit["window"]
    body = marked(text, hit["spans"], lo, hi, **marks)
    return ("…" if lo > 0 else "") + body + ("…" if hi < len(text) else "")


def heading_path(item: dict, **marks) -> str:
    """A hit's or a document paragraph's whole heading path, marked."""
    return marked(SECTION_SEPARATOR.join(item["section_path"]), item["section_spans"], **marks)


def contract(answer: dict) -> dict:
    """The service's answer as DESIGN.md's JSON: each hit's ``snippet`` is
    the HTML-escaped excerpt with ``<mark>``s; the offsets stay inside."""
    hits = []
    for hit in answer["hits"]:
        shown = {k: v for k, v in hit.items() if k not in INTERNAL_HIT_KEYS}
        shown["snippet"] = excerpt(hit)
        hits.append(shown)
    return {**answer, "hits": hits}
