"""Citations a paper can use: GB/T 7714-2015 for an electronic document,
and RIS and BibTeX for reference managers (Zotero, EndNote, NoteExpress).

GB/T 7714's form for a document read online is

    主要责任者. 题名: 其他题名信息[文献类型标识/载体标识]. (发布日期)[引用日期]. 获取和访问路径.

Here: the issuers (发文机关) as the authors, the title with its 文号 as the
further title information, [EB/OL] when the document's address is known
([EB] when it is a file whose address its source did not give), the
publication date and the day of citing. What is unknown is said, not
guessed: 佚名 for no issuer (the standard's own word), no date part for no
date, no address for none. One script throughout — the document's: its
title and issuers are kept as the text gives them, and the rest is the
same in both scripts.
"""
from __future__ import annotations

import datetime
import re

UNKNOWN_AUTHOR = "佚名"  # GB/T 7714-2015 8.1.5: no author, or none known


def _today(today: datetime.date | None) -> str:
    return (today or datetime.date.today()).isoformat()


def gbt7714(item: dict, today: datetime.date | None = None) -> str:
    """``item``: a document or a hit (the contract's fields); a hit's
    paragraph is named after the citation, where a quotation is found."""
    authors = ", ".join(item.get("issuers") or []) or UNKNOWN_AUTHOR
    title = item.get("title") or item.get("source") or ""
    if item.get("doc_number"):
        title = f"{title}: {item['doc_number']}"
    url = item.get("url")
    kind = "[EB/OL]" if url else "[EB]"
    when = f"({item['date']})" if item.get("date") else (f"({item['year']})" if item.get("year") else "")
    parts = [f"{authors}. {title}{kind}. {when}[{_today(today)}]."]
    if url:
        parts.append(f"{url}.")
    if item.get("paragraph"):
        parts.append(f"第 {item['paragraph']} 段.")
    return " ".join(parts)


def _documents(items: list[dict]) -> list[dict]:
    """Each document once, in the order first met (hits of one document
    cite one document)."""
    seen: dict[str, dict] = {}
    for item in items:
        seen.setdefault(item.get("doc_id") or item.get("source") or str(len(seen)), item)
    return list(seen.values())


def _ris_line(tag: str, value) -> str:
    return f"{tag}  - {str(value).replace(chr(10), ' ').strip()}"


def ris(items: list[dict], today: datetime.date | None = None) -> str:
    """RIS records, one per document (``TY  - GOVDOC``; the 文号 is the
    number ``M1``, the 文种 a keyword)."""
    out = []
    for d in _documents(items):
        lines = [_ris_line("TY", "GOVDOC"), _ris_line("TI", d.get("title") or d.get("source") or "")]
        lines += [_ris_line("AU", name) for name in d.get("issuers") or []]
        if d.get("date"):
            y, m, day = d["date"].split("-")
            lines += [_ris_line("PY", y), _ris_line("DA", f"{y}/{m}/{day}/")]
        elif d.get("year"):
            lines.append(_ris_line("PY", d["year"]))
        if d.get("doc_number"):
            lines.append(_ris_line("M1", d["doc_number"]))
        if d.get("kind"):
            lines.append(_ris_line("KW", d["kind"]))
        if d.get("district"):
            lines.append(_ris_line("CY", d["district"]))
        if d.get("url"):
            lines.append(_ris_line("UR", d["url"]))
        lines.append(_ris_line("Y2", _today(today)))
        lines.append(_ris_line("N1", f"source file: {d.get('source', '')}"))
        lines.append("ER  - ")
        out.append("\n".join(lines))
    return "\n\n".join(out) + "\n"


_BIB_SPECIAL = re.compile(r"([{}\\%&$#_^~])")


def _bib(value) -> str:
    """A field value BibTeX keeps as it is: its special characters escaped,
    braces around it so a corporate name is never read as first and last
    names."""
    return "{" + _BIB_SPECIAL.sub(lambda m: "\\" + m.group(1), str(value)) + "}"


def bibtex(items: list[dict], today: datetime.date | None = None) -> str:
    """``@misc`` entries, one per document (biblatex reads ``date``,
    ``url`` and ``urldate``; classic BibTeX ``year`` and the GB/T 7714
    citation in ``note``)."""
    out = []
    keys: set[str] = set()
    for d in _documents(items):
        key = f"reform{d.get('year') or ''}{(d.get('doc_id') or '')[:8]}".strip() or "reform"
        while key in keys:
            key += "x"
        keys.add(key)
        fields = [("title", _bib(d.get("title") or d.get("source") or ""))]
        if d.get("issuers"):
            fields.append(("author", "{" + " and ".join(_bib(n) for n in d["issuers"]) + "}"))
        if d.get("doc_number"):
            fields.append(("number", _bib(d["doc_number"])))
        if d.get("date"):
            fields.append(("date", _bib(d["date"])))
        if d.get("year"):
            fields.append(("year", _bib(d["year"])))
        if d.get("kind"):
            fields.append(("type", _bib(d["kind"])))
        if d.get("url"):  # read verbatim by biblatex: only its braces must not be raw
            fields.append(("url", "{" + d["url"].replace("{", "%7B").replace("}", "%7D") + "}"))
        fields.append(("urldate", _bib(_today(today))))
        fields.append(("note", _bib(gbt7714({**d, "paragraph": None}, today))))
        body = ",\n".join(f"  {name} = {value}" for name, value in fields)
        out.append(f"@misc{{{key},\n{body}\n}}")
    return "\n\n".join(out) + "\n"
