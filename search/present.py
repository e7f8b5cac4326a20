"""Marks as the edges show them. The service answers with offsets — each
hit's match spans in its own text, the excerpt's window, the spans in its
heading path — and only the edges turn them into markup: the JSON
contract's ``<mark>`` snippet (CLI ``--json`` and ``/api/search``), the web
page's marked heading paths and document, the terminal's colours.
"""
from __future__ import annotations

from html import escape

from . import cite
from .engine import SECTION_SEPARATOR

# what the edges render marks from; not part of the JSON contract
INTERNAL_HIT_KEYS = ("spans", "window", "section_path", "shown_path", "section_spans", "url")
INTERNAL_ANSWER_KEYS = ("suggestions", "district_years", "places")  # the notes' links and the comparison, for the page


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
    """A hit's or a document paragraph's heading path as a reader is shown
    it (``service.shown_path``: not a run-in heading its text opens with), marked."""
    return marked(SECTION_SEPARATOR.join(item.get("shown_path", item["section_path"])), item["section_spans"], **marks)


# where a document's date came from (``DocumentRecord.date_source``), as a reader is told
DATE_SOURCES = {
    "text": "正文所载日期",
    "title": "标题或计划名中的年份",
    "body": "正文中最常提到的年份",
    "sidecar": "元数据文件（.meta.json）",
    "filename": "文件名中的日期",
    "file": "文件属性中的日期（正文未载明日期）",
}


def date_source(item: dict) -> str:
    """Where the item's date (or year) came from, in words; "" when unknown."""
    return DATE_SOURCES.get(item.get("date_source") or "", "")


# a document's official fields as its page and ``search --show`` list them
OFFICIAL_LABELS = (("文号", "doc_number"), ("发文机关", "issuers"), ("文种", "kind"), ("索引号", "index_number"),
                   ("成文日期", "date_written"), ("通过日期", "date_adopted"), ("施行日期", "date_effective"))


def official(item: dict) -> str:
    """文号 · 发文机关 · 文种 on one line; "" when the text gives none."""
    parts = [item.get("doc_number") or "", "、".join(item.get("issuers") or []), item.get("kind") or ""]
    return " · ".join(p for p in parts if p)


def citation(item: dict) -> str:
    """The citation a researcher pastes into a paper (``search.cite``,
    GB/T 7714-2015): issuers, title and 文号, [EB/OL], dates, address; a
    hit's paragraph after it."""
    return cite.gbt7714(item)


def grouped(answer: dict) -> dict:
    """The by-document answer as JSON (``search --by-document --json``,
    ``/api/documents``): each group's hits as the contract's hits."""
    groups = [{**g, "hits": [_contract_hit(h) for h in g["hits"]]} for g in answer["groups"]]
    return {k: v for k, v in {**answer, "groups": groups}.items() if k not in INTERNAL_ANSWER_KEYS}


def _contract_hit(hit: dict) -> dict:
    shown = {k: v for k, v in hit.items() if k not in INTERNAL_HIT_KEYS}
    shown["snippet"] = excerpt(hit)
    return shown


def contract(answer: dict) -> dict:
    """The service's answer as DESIGN.md's JSON: each hit's ``snippet`` is
    the HTML-escaped excerpt with ``<mark>``s; the offsets stay inside."""
    hits = [_contract_hit(hit) for hit in answer["hits"]]
    return {k: v for k, v in {**answer, "hits": hits}.items() if k not in INTERNAL_ANSWER_KEYS}
