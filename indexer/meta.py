"""Document metadata: title, date, year and district, per DESIGN's definitions.

Every rule looks for an explicit cue and otherwise leaves the field empty:
a wrong district or year would silently mislead a researcher's counts, an
empty one does not. A sidecar ``<file>.meta.json`` overrides detection.
"""
from __future__ import annotations

import datetime
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from search.text import one_line

from . import dates, official
from .clean import Lines
from search.facets import LEVEL_RANK as _LEVEL_RANK
from search.query.parse import YEAR_MAX, YEAR_MIN
from search.facets import Unit, load_units

_TRAILER = re.compile(
    r"^((?:19|20)\d{2})-(\d{2})-(\d{2})\s+(.+?)\s+(?:\d+\s+)*\S*content_\d+\.htm(?:\s+\d+)?\s*(.*?)\s*(?:/?enpproperty-->)?$"
)
_FILENAME_DATE = re.compile(r"[(（]((?:19|20)\d{2})-(\d{2})-(\d{2})[)）]")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
_PLAN = re.compile(r"《[^》]{0,40}?((?:19|20)\d{2})\s*年[^》]{0,20}?(?:改革|工作|计划|要点|方案|报告|规划)[^》]{0,20}》")
_NOTICE_TITLE = re.compile(r"关于印发《(.+?)》的通知")
_NAME_FIELD = re.compile(r"^名\s*称\s*[:：]\s*(.+)$")
_SENTENCE_END = re.compile(r"[。！？；!?;]")
# A news story's byline: its headline, if the scrape kept one, stands above it.
_BYLINE = re.compile(r"^(撰文|文|记者|通讯员|作者|策划|编辑|责任编辑|来源)\s*[:：]")
UNTITLED = "（原文无标题）"  # shown before a lede's first words when the headline was lost
MAX_TITLE = 120


@dataclass
class DocMeta:
    title: str = ""
    title_simplified: str = ""  # converted once, for every step that reads the title
    date: str | None = None
    year: int | None = None
    district: str | None = None
    url: str | None = None
    # where the date (or, without one, the year) came from: "text" (a day the
    # text states), "title" (a year in the title or the plan's name), "body"
    # (the year the body names most), "sidecar", "filename", "file" (the
    # file's own metadata); None when nothing is known
    date_source: str | None = None
    dates: dates.TextDates = field(default_factory=dates.TextDates)  # everything the text says
    official: official.Official = field(default_factory=official.Official)  # 文号, 发文机关, 索引号, 文种
    warnings: list[str] = field(default_factory=list)  # evidence set aside, for the report


# a line that names the document's address: 原文链接：https://…
_URL_LINE = re.compile(r"^\s*(?:原文链接|原文地址|原文网址|原文|链接|网址|来源网址|来源链接|来源|URL|url)\s*[:：]\s*(https?://\S+)\s*$")


def find_url(raw_lines: list[str]) -> str | None:
    """The address a text names for itself on a line of its own."""
    from .read import web_address

    for line in raw_lines:
        m = _URL_LINE.match(line)
        url = web_address(m.group(1)) if m else None
        if url:
            return url
    return None


def filename_date(filename: str) -> str | None:
    """A day in the file's name: ``优化营商环境条例(2019-10-22).md``."""
    m = _FILENAME_DATE.search(filename)
    if not m:
        return None
    try:
        return datetime.date(*map(int, m.groups())).isoformat()
    except ValueError:
        return None


def _short_title_line(line: str) -> bool:
    return 2 <= len(line) <= 48 and not _SENTENCE_END.search(line[:-1])


def find_title(body: Lines, every: Lines, html_title: str, kind: str) -> str:
    """``body``: the document after boilerplate removal; ``every``: every
    line (metadata cues live in boilerplate). Titles are returned in the
    document's own script; t2s keeps lengths, so a span found in the
    simplified line is cut from the original one."""
    lines, simp_lines, raw_lines, all_simp = body.text, body.simplified, every.text, every.simplified
    for original, line in zip(raw_lines[:8], all_simp[:8]):
        m = _NAME_FIELD.match(line)
        if m:
            start, end = m.span(1)
            notice = _NOTICE_TITLE.search(line, start)
            if notice:
                start, end = notice.span(1)
            return original[start:end] if len(original) == len(line) else line[start:end]
    if html_title:
        return html_title.split("_")[0].split(" - ")[0].strip()
    if kind == "markdown":
        for line in lines[:5]:
            if line.startswith("#") and len(line) <= MAX_TITLE:
                return line.lstrip("#").strip()
    for line in all_simp[-6:]:
        m = _TRAILER.match(line)
        if m:
            trailer_title = (m.group(5) or m.group(4)).strip()
            for orig, simp in zip(lines[:6], simp_lines[:6]):
                if simp == trailer_title or (len(simp) <= 48 and simp in trailer_title):
                    return orig
            return trailer_title
    byline = next((k for k, line in enumerate(all_simp[:10]) if _BYLINE.match(line)), None)
    if byline is not None:
        above = [line for line in raw_lines[:byline] if line.strip()]
        short = [line for line in above if _short_title_line(line)]
        if short:
            return short[0]
        if above:  # only the lede above the byline: the headline was lost, say so
            first = _SENTENCE_END.split(above[0], 1)[0]
            return UNTITLED + (first if len(first) <= 30 else first[:30] + "…")
    for line in lines[:3]:
        if _short_title_line(line):
            return line
    if lines:
        first = _SENTENCE_END.split(lines[0], 1)[0]
        return first if len(first) <= 40 else first[:40] + "…"
    return ""


def find_year(date: str | None, title_simp: str, body_simp: str) -> int | None:
    return date_year(date) if date else text_year(title_simp, body_simp)[0]


def date_year(date: str) -> int:
    return int(date[:4])


def text_year(title_simp: str, body_simp: str) -> tuple[int | None, str | None]:
    """The year a text without a day names: ``(year, "title")`` from its
    title or its plan's name, ``(year, "body")`` when the body names one
    year clearly most often, else ``(None, None)``."""
    years = {int(y) for y in _YEAR.findall(title_simp)}
    if len(years) == 1:
        return years.pop(), "title"
    plan_years = {int(m.group(1)) for m in _PLAN.finditer(body_simp)}
    if len(plan_years) == 1:
        return plan_years.pop(), "title"
    counts = Counter(int(y) for y in _YEAR.findall(body_simp))
    if counts:
        (top, n), *rest = counts.most_common(2) + [(None, 0)]
        runner = rest[0][1]
        if n >= 3 and n >= 2 * runner:
            return top, "body"
    return None, None


def _mentions(text: str, units: tuple[Unit, ...]) -> Counter:
    counts: Counter = Counter()
    for unit in units:
        seen = 0
        # Count the longest names first and blank them out, so 光明区 is not
        # counted again as 光明, nor 深圳市 as 深圳.
        for name in sorted(unit.names, key=len, reverse=True):
            c = text.count(name)
            if c:
                seen += c
                text = text.replace(name, "\0" * len(name))
        if seen:
            counts[unit] = seen
    return counts


def find_district(title_simp: str, body_simp: str, path_simp: str, units: tuple[Unit, ...] | None = None) -> str | None:
    units = units or load_units()
    for text in (title_simp, path_simp):
        found = _mentions(text, units)
        for unit in [u for u in found if u.level == "national"]:
            # 国务院 inside a headline ("…获国务院发文推广") is not what it is about
            head = re.sub(r"^[\s\d年《“]*", "", text)
            if not any(head.startswith(name) for name in unit.names):
                del found[unit]
        if found:
            return min(found, key=lambda u: (_LEVEL_RANK[u.level], -found[u])).name
    body = _mentions(body_simp, units)
    if not body:
        return None
    for level in ("district", "city", "province"):
        ranked = [(n, u) for u, n in body.items() if u.level == level]
        ranked.sort(key=lambda x: -x[0])
        if not ranked:
            continue
        top_n, top = ranked[0]
        runner = ranked[1][0] if len(ranked) > 1 else 0
        if top_n >= 3 and top_n >= 2 * runner:
            return top.name
        if level == "district" and top_n >= 3:
            return None  # several districts compete: do not guess
    national = [u for u in body if u.level == "national"]
    if national and sum(body[u] for u in national) >= 2:
        return national[0].name
    return None


def parse_sidecar(raw: bytes, name: str = "sidecar") -> tuple[dict, list[str]]:
    """The sidecar's usable fields and a message for everything ignored.

    A sidecar is typed by hand, so each field is checked on its own: a bad
    year (``"abc"``, ``NaN``, ``Infinity``, 20200) or date (``12345``,
    ``"not-a-date"``) is dropped with its reason and detection takes over for
    it; the document and the sidecar's good fields are kept."""
    if not raw:
        return {}, []
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        return {}, [f"{name} ignored: not valid JSON ({one_line(exc)})"]
    if not isinstance(data, dict):
        return {}, [f"{name} ignored: not a JSON object"]
    fields, problems = {}, []
    for key, check in _SIDECAR_FIELDS.items():
        if key not in data:
            continue
        value, reason = check(data[key])
        if reason:
            problems.append(f"{name}: {key} {json.dumps(data[key], ensure_ascii=False)[:40]} ignored: {reason}")
        else:
            fields[key] = value
    return fields, problems


def _title(value):
    if isinstance(value, str) and value.strip():
        return value.strip(), None
    return None, "must be non-empty text"


def _iso_day(value):
    import datetime

    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            day = datetime.date.fromisoformat(value.strip())
        except ValueError:
            return None, "is not a calendar date"
        if YEAR_MIN <= day.year <= YEAR_MAX:
            return day.isoformat(), None
    return None, "must be an ISO date such as \"2024-03-01\""


def _year(value):
    if isinstance(value, str) and re.fullmatch(r"\d{4}", value.strip()):
        value = int(value)
    if value is None:
        return None, None  # explicitly unknown
    if isinstance(value, int) and not isinstance(value, bool) and YEAR_MIN <= value <= YEAR_MAX:
        return value, None
    return None, f"must be a whole year from {YEAR_MIN} to {YEAR_MAX}"


def _url(value):
    from .read import web_address

    if value is None or value == "":
        return None, None
    url = web_address(value) if isinstance(value, str) else None
    return (url, None) if url else (None, "must be an http:// or https:// address")


def _district(value):
    from search.facets import canonical_district

    if value is None or value == "":
        return None, None  # explicitly no district
    if isinstance(value, str) and len(value.strip()) <= 40:
        return canonical_district(value) or value.strip(), None
    return None, "must be text (a unit's name)"


def _short_text(limit: int):
    def check(value):
        if value is None or value == "":
            return None, None  # explicitly unknown
        if isinstance(value, str) and len(value.strip()) <= limit:
            return value.strip(), None
        return None, f"must be text of at most {limit} characters"
    return check


def _issuers(value):
    if value is None or value == "" or value == []:
        return [], None
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list) and all(isinstance(v, str) and v.strip() and len(v.strip()) <= 60 for v in value):
        return list(dict.fromkeys(v.strip() for v in value)), None
    return None, "must be a name or a list of names (text of at most 60 characters each)"


def _optional_date(value):
    if value is None or value == "":
        return None, None
    return _iso_day(value)


_SIDECAR_FIELDS = {"title": _title, "date": _iso_day, "year": _year, "district": _district, "url": _url,
                   # the official fields (indexer.official): a sidecar's value wins over the text's
                   "doc_number": _short_text(60), "issuers": _issuers, "kind": _short_text(10),
                   "index_number": _short_text(60), "date_written": _optional_date,
                   "date_adopted": _optional_date, "date_effective": _optional_date}
OFFICIAL_SIDECAR = ("doc_number", "issuers", "kind", "index_number")
DATE_SIDECAR = {"date_written": "written", "date_adopted": "adopted", "date_effective": "effective"}


@dataclass
class FileFacts:
    """What the file says about itself beside its text: its format and
    place, the title, day and address its own metadata give (HTML
    ``<title>`` and canonical link, PDF and DOCX properties), and when it
    was last changed."""

    kind: str = "text"
    rel_path: str = ""
    title: str = ""
    day: str | None = None
    url: str | None = None
    modified: float | None = None  # seconds since the epoch


def extract(body: Lines, every: Lines, facts: FileFacts | None = None, sidecar: dict | None = None) -> DocMeta:
    """``body``: the document after boilerplate removal; ``every``: every
    line (metadata cues live in boilerplate); ``sidecar``: the checked
    fields of a ``.meta.json``."""
    from search import analysis

    facts = facts or FileFacts()
    sidecar = sidecar or {}
    meta = DocMeta()
    meta.title = sidecar.get("title") or find_title(body, every, facts.title, facts.kind)
    if len(meta.title) > MAX_TITLE:  # a title is indexed with every paragraph: never a whole page
        meta.title = meta.title[:MAX_TITLE] + "…"
    title_simp = meta.title_simplified = analysis.to_simplified(meta.title)
    body_simp = "\n".join(body.simplified)
    _date(meta, every.simplified, body.simplified, title_simp, body_simp, facts, sidecar)
    if "district" in sidecar:
        meta.district = sidecar["district"] or None
    else:
        path_simp = analysis.to_simplified(str(Path(facts.rel_path).parent)) if facts.rel_path else ""
        meta.district = find_district(title_simp, body_simp, path_simp)
    meta.url = sidecar.get("url") or facts.url or find_url(every.text)
    meta.official = official.extract(body, every, meta.title, title_simp)
    for key in OFFICIAL_SIDECAR:
        if key in sidecar:
            setattr(meta.official, key, sidecar[key])
    for key, name in DATE_SIDECAR.items():
        if key in sidecar:
            setattr(meta.dates, name, sidecar[key])
    return meta


def _date(meta: DocMeta, raw_simp, simp_lines, title_simp, body_simp, facts: FileFacts, sidecar: dict) -> None:
    """The date, the year and where they came from, in the order of trust
    (``indexer.dates``): the text's day; the sidecar; a day in the file's
    name; the file's metadata day when plausible; else the year the text
    names (the sidecar's ``year`` above it). Evidence set aside for better
    evidence is a warning in the report."""
    meta.dates = dates.from_text(raw_simp, simp_lines)
    year, year_from = text_year(title_simp, body_simp)
    candidates = [(meta.dates.published, "text"), (sidecar.get("date"), "sidecar"),
                  (filename_date(Path(facts.rel_path).name), "filename")]
    day, source = next(((d, s) for d, s in candidates if d), (None, None))
    if source == "text" and sidecar.get("date") not in (None, day):
        meta.warnings.append(f"sidecar date {sidecar['date']} not used: the text states {day}")
    if day is None and facts.day:
        doubt = dates.file_day_doubt(facts.day, facts.modified, year if year_from == "title" else None)
        if doubt:
            meta.warnings.append(f"the file's own date {facts.day} not used: {doubt}")
        else:
            day, source = facts.day, "file"
    if day is not None:
        meta.date, meta.year, meta.date_source = day, date_year(day), source
    elif "year" in sidecar:
        meta.year = sidecar["year"]
        meta.date_source = "sidecar" if meta.year is not None else None
    else:
        meta.year, meta.date_source = year, year_from
