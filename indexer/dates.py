"""A document's dates, read from its own text first.

The date of a document is the day it was published. Its text says so in
several ways, which are read in this order of trust: a labelled line
(``发布日期：2017-03-28``); the lines that open a law (``2019年10月22日
国务院令第722号公布``: published; ``…通过``, ``…修正``: the version in hand,
when no publication line is there; ``…施行``: when it takes effect, never
the date); a line that is a date alone near the top; a scraped page's
trailer; the date a report or speech opens with (``——2025年1月13日在…会议上``);
the date under the signature. What the text does not say, a sidecar may,
and only then the file's own metadata, and only a day that is plausible: a
PDF printed today or a Word file made from a template carries the day of
the printing or the template's, not the document's.

Every rule reads the simplified lines, so a traditional document's dates
are found the same way.
"""
from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from search import config
from search.query.parse import YEAR_MAX, YEAR_MIN

_ARABIC = r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
_HAN_DIGITS = "〇○零一二三四五六七八九"
_HAN = r"([〇○零一二三四五六七八九]{4})\s*年\s*([一二三四五六七八九十]{1,3})\s*月\s*([一二三四五六七八九十]{1,3})\s*日"
DAY = re.compile(f"{_ARABIC}|{_HAN}")
_LABEL = re.compile(r"(发布|成文|印发|公布|发文|生成|施行|实施)?(?:日期|时间)\s*[:：]\s*(?:\|\s*)?(?=\S)")  # | : a table's cells
_LABEL_KIND = {"成文": "written", "施行": "effective", "实施": "effective"}  # the rest: published
_COMPACT = re.compile(r"(?:最新异动日期|异动日期|修正日期|公布日期)\s*[:：]\s*((?:19|20)\d{2})(\d{2})(\d{2})")
_WRAPPING = "（）()〔〕[]【】<>《》—－-–~ 　\t"
_TIME = re.compile(r"^\s*\d{1,2}:\d{2}(?::\d{2})?\s*$")
_TRAILER = re.compile(r"^((?:19|20)\d{2})-(\d{2})-(\d{2})\s+.+?\S*content_\d+\.htm")
# what a law's opening lines say was done on a day, and what the day then is
_ACTS = [("公布", "published"), ("发布", "published"), ("印发", "published"), ("颁布", "published"),
         ("通过", "adopted"), ("批准", "adopted"), ("修正", "amended"), ("修订", "amended"),
         ("修改", "amended"), ("施行", "effective"), ("实施", "effective")]
ACT_TAIL = 10  # the act's verb stands within the last characters before the next date
HEAD_LINES = 12
TAIL_LINES = 8
MAX_ACT_LINE = 200


@dataclass
class TextDates:
    """What the text itself says. ``published`` is the document's date;
    ``how`` says which rule found it (for tests and the report)."""

    published: str | None = None
    how: str | None = None
    written: str | None = None  # 成文日期: a 成文 label, else the date under the signature
    adopted: str | None = None  # 通过 / 批准: the first adoption
    effective: str | None = None  # 施行


def _han_number(text: str) -> int:
    """二〇二二 → 2022 (digit by digit); 十五 → 15, 二十一 → 21, 三十 → 30."""
    if "十" not in text:
        return int("".join(str(_HAN_DIGITS.index(ch) if ch in "〇○" else "零一二三四五六七八九".index(ch))
                           for ch in text))
    tens, _, ones = text.partition("十")
    return ("零一二三四五六七八九".index(tens) if tens else 1) * 10 + ("零一二三四五六七八九".index(ones) if ones else 0)


def iso_day(match: re.Match) -> str | None:
    """The ISO day of a ``DAY`` match, or None when it is no calendar day."""
    groups = match.groups()
    try:
        if groups[0] is not None:
            y, m, d = int(groups[0]), int(groups[1]), int(groups[2])
        else:
            y, m, d = _han_number(groups[3]), _han_number(groups[4]), _han_number(groups[5])
        day = datetime.date(y, m, d)
    except (ValueError, IndexError):
        return None
    return day.isoformat() if YEAR_MIN <= day.year <= YEAR_MAX else None


# full-width digits and spaces (２０２０年１月１日 施行) read as their ASCII twins;
# one character for one, so positions in a line stay its own
_NARROW = str.maketrans("０１２３４５６７８９：", "0123456789:")


def _unwrapped(line: str) -> str:
    return line.translate(_NARROW).strip().strip(_WRAPPING)


def only_a_day(line: str) -> str | None:
    """The day a line consists of (``2022年3月15日``, ``二〇二二年三月十五日``,
    ``2021-08-26 11:02``, ``（2020年5月14日）``), else None."""
    text = _unwrapped(line)
    m = DAY.match(text)
    if not m:
        return None
    rest = text[m.end():]
    if rest.strip() and not _TIME.match(rest):
        return None
    return iso_day(m)


def acts(line: str) -> list[tuple[str, str]] | None:
    """``[(day, act)]`` for a line that records what was done on which day
    (``2019年10月22日 国务院令第722号公布``, ``（…公布 自2020年1月1日起施行）``),
    else None: such a line starts with a day, and each of its days is
    followed by an act's verb before the next day."""
    text = _unwrapped(line)
    if len(text) > MAX_ACT_LINE:
        return None
    if text.startswith("自"):
        text = text[1:]
    if not DAY.match(text):
        return None
    days = list(DAY.finditer(text))
    found = []
    for k, m in enumerate(days):
        end = days[k + 1].start() if k + 1 < len(days) else len(text)
        segment = text[m.end():end].rstrip(_WRAPPING + "自，,、；;")
        tail = segment[-ACT_TAIL:]
        act = next((kind for verb, kind in _ACTS if verb in tail), None)
        day = iso_day(m)
        if act is None or day is None:
            return None
        found.append((day, act))
    return found


def _labelled(line: str) -> tuple[str, str] | None:
    """``(day, kind)`` of a ``发布日期：…`` line."""
    line = line.translate(_NARROW)
    for label in _LABEL.finditer(line):
        m = DAY.match(line, label.end())
        if m and (day := iso_day(m)):
            return day, _LABEL_KIND.get(label.group(1) or "", "published")
    m = _COMPACT.search(line)
    if m:
        try:
            return datetime.date(*map(int, m.groups())).isoformat(), "published"
        except ValueError:
            return None
    return None


def _opening(line: str) -> str | None:
    """The day a report or speech opens with: ``——2025年1月13日在…会议上``."""
    text = _unwrapped(line)
    m = DAY.match(text)
    if m and len(text) <= 120 and acts(line) is None:
        return iso_day(m)
    return None


_COMES_INTO_FORCE = re.compile(r"\s*起\s*(?:施行|实施|执行|生效)")
_IN_FORCE_ON_ISSUE = re.compile(r"自(?:公布|发布|印发|颁布|发文)之日起(?:施行|实施|执行|生效)")
IN_FORCE_LINES = 12  # the closing articles: 本条例自2020年1月1日起施行


def in_force(body: list[str]) -> str | None:
    """When the closing articles say the text takes effect: a day
    (``自2020年1月1日起施行``), "issued" (``自公布之日起施行``), or None."""
    for line in reversed(body[-IN_FORCE_LINES:]):
        text = line.translate(_NARROW)
        for at in re.finditer(r"自\s*", text):
            m = DAY.match(text, at.end())
            if m and _COMES_INTO_FORCE.match(text, m.end()) and (day := iso_day(m)):
                return day
        if _IN_FORCE_ON_ISSUE.search(text):
            return "issued"
    return None


_LABEL_ALONE = re.compile(r"^\s*[\u4e00-\u9fff](?:\s*[\u4e00-\u9fff]){1,5}\s*[:：]\s*$")


def label_rows(lines: list[str], *parallel: list[str]) -> list[list[str]]:
    """``lines`` (and each list ``parallel`` to them, line for line) with a
    label alone on its line joined to the value on the next: a web page's
    header table gives each cell a line (``发布日期：`` / ``2024年03月05日``).
    The lines are read from the simplified ones; every list is joined alike."""
    out = [[] for _ in (lines, *parallel)]
    k = 0
    while k < len(lines):
        take = 2 if _LABEL_ALONE.match(lines[k]) and k + 1 < len(lines) else 1
        for column, source in zip(out, (lines, *parallel)):
            column.append("".join(source[k:k + take]))
        k += take
    return out


def from_text(head: list[str], body: list[str]) -> TextDates:
    """``head``: every line of the file in simplified script, boilerplate
    included (a site's 发布日期 line is boilerplate to the body, evidence to
    the date); ``body``: the lines kept as the document, for the signature
    and the closing articles (when it takes effect)."""
    found = _published(head, body)
    if found.effective is None:
        closing = in_force(body)
        found.effective = (found.published or found.written) if closing == "issued" else closing
    return found


def _published(head: list[str], body: list[str]) -> TextDates:
    found = TextDates()
    first, last = label_rows(head[:HEAD_LINES * 2])[0][:HEAD_LINES], head[-TAIL_LINES:]
    labels = [x for line in first if (x := _labelled(line))]
    for day, kind in labels:
        if kind == "written":
            found.written = found.written or day
        elif kind == "effective":
            found.effective = found.effective or day
    events = [e for line in first if (found_acts := acts(line)) for e in found_acts]
    for day, act in events:
        if act == "adopted":
            found.adopted = found.adopted or day
        elif act == "effective":
            found.effective = found.effective or day
    signature = next((day for line in reversed(body[-TAIL_LINES:]) if (day := only_a_day(line))), None)
    found.written = found.written or signature

    def take(day: str | None, how: str) -> bool:
        if day and found.published is None:
            found.published, found.how = day, how
        return found.published is not None

    if take(next((d for d, kind in labels if kind == "published"), None), "label"):
        return found
    if take(next((d for d, act in events if act == "published"), None), "published line"):
        return found
    versions = sorted(d for d, act in events if act in ("adopted", "amended"))
    if take(versions[-1] if versions else None, "adopted or amended line"):
        return found
    if take(next((d for d, kind in labels if kind == "written"), None), "written label"):
        return found
    if take(next((day for line in first if (day := only_a_day(line))), None), "date line"):
        return found
    for line in last:
        m = _TRAILER.match(line)
        if m:
            try:
                if take(datetime.date(*map(int, m.groups())).isoformat(), "trailer"):
                    return found
            except ValueError:
                pass
    if take(next((day for line in first[:8] if (day := _opening(line))), None), "opening line"):
        return found
    take(signature, "signature")
    return found


@lru_cache(maxsize=4)
def _template_days(path: Path, stamp: int) -> frozenset[str]:
    days = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        word = line.split("#", 1)[0].strip()
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", word):
            days.add(word)
    return frozenset(days)


def template_days() -> frozenset[str]:
    """Creation days programs write into every file made from their
    template (``data/template_dates.txt``)."""
    path = config.data_dir() / "template_dates.txt"
    try:
        return _template_days(path, path.stat().st_mtime_ns)
    except OSError:
        return frozenset()


def file_day_doubt(day: str, modified: float | None, text_year: int | None,
                   today: datetime.date | None = None) -> str | None:
    """Why a file's metadata day cannot be the document's (None: it may be)."""
    today = today or datetime.date.today()
    if day in template_days():
        return "the creation day of a program's template"
    if day == today.isoformat():
        return "today, the day the file was made here"
    if modified is not None and day > datetime.date.fromtimestamp(modified).isoformat():
        return "later than the file itself was last changed"
    if text_year is not None and int(day[:4]) != text_year:
        return f"not in {text_year}, the year the text names"
    return None
