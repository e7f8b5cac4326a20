"""Every matching paragraph as a table a researcher takes into a spreadsheet:
CSV, JSON or XLSX, the same columns in each; or the matching documents'
citations for a reference manager, RIS or BibTeX (``search.cite``).

One header row, never two: a spreadsheet's filter, sort and pivot table, and
``pandas.read_csv``, take the first row as the column names and the second as
data. So the names are English keys by default (what scripts read, the same
as the JSON contract's) and Chinese with ``lang="zh"`` (what a person reads).
"""
from __future__ import annotations

import csv
import io
import json
import re

from . import cite
from .engine import SECTION_SEPARATOR

# key → Chinese column name (段落标识: a paragraph's id, never to be taken for
# 段落序号, its place in the document)
COLUMNS = {
    "doc_id": "文档标识", "chunk_id": "段落标识", "title": "标题", "district": "地区", "year": "年份",
    "date": "日期", "paragraph": "段落序号", "heading_path": "所在章节", "domains": "改革领域",
    "text": "段落原文", "score": "相关度", "source": "来源文件", "url": "原文网址",
    "doc_number": "文号", "issuers": "发文机关", "kind": "文种",
}
FORMATS = ("csv", "json", "xlsx", "ris", "bib")  # the last two: one record per document (search.cite)
CITATION_FORMATS = ("ris", "bib")
LANGS = ("en", "zh")  # column names: English keys, or Chinese
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json; charset=utf-8",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               "ris": "application/x-research-info-systems; charset=utf-8", "bib": "application/x-bibtex; charset=utf-8"}


def header(lang: str = "en") -> list[str]:
    return list(COLUMNS.values()) if lang == "zh" else list(COLUMNS)


def values(row: dict) -> list:
    """A hit row (``SearchService.export``) in ``COLUMNS`` order."""
    cells = {**row, "heading_path": SECTION_SEPARATOR.join(row.get("section_path") or []),
             "domains": "、".join(row.get("domains") or []), "issuers": "、".join(row.get("issuers") or [])}
    return [cells.get(key) for key in COLUMNS]


def safe_cell(value):
    """A cell a spreadsheet shows as text, never runs as a formula."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def to_csv(data: dict, lang: str = "en") -> str:
    """UTF-8 text with a BOM first: without it Excel reads the locale's code page."""
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.writer(buf)
    writer.writerow(header(lang))
    for row in data["rows"]:
        writer.writerow([safe_cell(v) for v in values(row)])
    return buf.getvalue()


def to_json(data: dict, lang: str = "en") -> str:
    keys = header(lang)
    rows = []
    for row in data["rows"]:
        cells = dict(zip(keys, values(row)))
        cells[keys[list(COLUMNS).index("heading_path")]] = list(row.get("section_path") or [])
        cells[keys[list(COLUMNS).index("domains")]] = list(row.get("domains") or [])
        cells[keys[list(COLUMNS).index("issuers")]] = list(row.get("issuers") or [])
        rows.append(cells)
    body = {"query": data["query"], "total": data["total"], "truncated": data["truncated"],
            "notes": data["notes"], "conditions": data.get("conditions", {}), "rows": rows}
    return json.dumps(body, ensure_ascii=False, indent=1)


def to_xlsx(data: dict, lang: str = "en") -> bytes:
    """One sheet of the rows (a frozen, filterable header; the text wrapped)
    and one of what was asked: the query, the total and the notes."""
    import xlsxwriter

    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    sheet = book.add_worksheet("段落" if lang == "zh" else "paragraphs")
    bold = book.add_format({"bold": True})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    names = header(lang)
    sheet.write_row(0, 0, names, bold)
    for r, row in enumerate(data["rows"], 1):
        sheet.write_row(r, 0, ["" if v is None else v for v in values(row)])
    widths = {"title": 30, "heading_path": 30, "text": 80, "url": 30, "source": 24}
    for c, key in enumerate(COLUMNS):
        sheet.set_column(c, c, widths.get(key, 12), wrap if key == "text" else None)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(1, len(data["rows"])), len(names) - 1)
    about = book.add_worksheet("检索条件" if lang == "zh" else "query")
    rows = condition_rows(data, lang)
    for i, (name, value) in enumerate(rows):
        about.write_row(i, 0, [name, safe_cell(value)])
    about.set_column(0, 0, 14)
    about.set_column(1, 1, 60)
    book.close()
    return buf.getvalue()


# how an export was made (``SearchService.export``'s ``conditions``), as the
# XLSX sheet names each: key → Chinese name
CONDITIONS = {"query": "检索词", "district": "地区", "year": "年份", "domain": "改革领域", "issuer": "发文机关",
              "kind": "文种", "date": "发布日期范围", "sort": "排序", "synonyms": "同义词扩展", "engine": "检索引擎",
              "generation": "索引版本", "exported": "导出时间", "rows": "导出段落", "total": "匹配段落"}


def condition_rows(data: dict, lang: str = "en") -> list[tuple[str, object]]:
    """``(name, value)`` for every condition, then each note: a list shown
    as its values joined, a filter not set as empty, so every export says
    the same things in the same order."""
    conditions = data.get("conditions") or {"query": data["query"], "total": data["total"]}
    out = []
    for key, zh in CONDITIONS.items():
        if key not in conditions:
            continue
        value = conditions[key]
        if isinstance(value, list):
            value = "、".join(map(str, value))
        elif isinstance(value, bool):
            value = ("是" if value else "否") if lang == "zh" else str(value).lower()
        out.append((zh if lang == "zh" else key, "" if value is None else value))
    out += [("提示" if lang == "zh" else "note", note) for note in data["notes"]]
    return out


_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+|^[.\s]+|[.\s]+$')


def file_name(data: dict, fmt: str) -> str:
    """What a download is called: what it holds, its query, the day —
    改革检索_放管服_2026-12-02.xlsx — safe on every filesystem (none of
    \\ / : * ? " < > |, no control character, no leading or trailing dot,
    at most 40 characters of query)."""
    import datetime

    query = _UNSAFE_NAME.sub("_", "_".join((data.get("query") or "").split()))[:40].strip("_") or "全部"
    day = (data.get("conditions") or {}).get("exported", "")[:10] or datetime.date.today().isoformat()
    return f"改革检索_{query}_{day}.{fmt}"


def render(data: dict, fmt: str, lang: str = "en") -> str | bytes:
    """``data``: ``SearchService.export``'s rows, or a document (its
    citation alone, RIS or BibTeX)."""
    if fmt in CITATION_FORMATS:
        rows = data["rows"] if "rows" in data else [data]
        return (cite.ris if fmt == "ris" else cite.bibtex)(rows)
    return {"csv": to_csv, "json": to_json, "xlsx": to_xlsx}[fmt](data, lang)
