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

from . import cite
from .engine import SECTION_SEPARATOR

# key → Chinese column name
COLUMNS = {
    "doc_id": "文档编号", "chunk_id": "段落编号", "title": "标题", "district": "地区", "year": "年份",
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
            "notes": data["notes"], "rows": rows}
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
    about.write_row(0, 0, ["检索词" if lang == "zh" else "query", data["query"]])
    about.write_row(1, 0, ["匹配段落" if lang == "zh" else "total", data["total"]])
    for i, note in enumerate(data["notes"], 2):
        about.write_row(i, 0, ["提示" if lang == "zh" else "note", note])
    book.close()
    return buf.getvalue()


def render(data: dict, fmt: str, lang: str = "en") -> str | bytes:
    """``data``: ``SearchService.export``'s rows, or a document (its
    citation alone, RIS or BibTeX)."""
    if fmt in CITATION_FORMATS:
        rows = data["rows"] if "rows" in data else [data]
        return (cite.ris if fmt == "ris" else cite.bibtex)(rows)
    return {"csv": to_csv, "json": to_json, "xlsx": to_xlsx}[fmt](data, lang)
