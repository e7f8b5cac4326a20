"""The query language: what a researcher types, turned into a query tree.

Words are ANDed; ``"…"`` is a phrase; ``OR`` joins alternatives; ``-word`` and
``NOT word`` exclude; ``district:``, ``year:`` (2020 or 2018-2021),
``domain:``, ``issuer:``, ``kind:`` and ``date:`` filter; ``title:`` keeps
the paragraphs of documents whose title holds every word given. Traditional and simplified input are the same after
analysis. The parser never fails: anything it cannot read is taken as literal
words, and a note says so.
"""
from __future__ import annotations

import calendar
import datetime
import re
from dataclasses import dataclass, field

from .. import analysis
from ..engine import DAY_HIGH, DAY_LOW, AllOf, AnyOf, Exact, Filters, Phrase, Term, iter_terms

MAX_QUERY_CHARS = 1000
MAX_WORDS = 32
YEAR_MIN, YEAR_MAX = 1900, 2100
_FIELD = re.compile(r"^(district|year|domain|issuer|kind|date|title|区|年份|年|领域|发文机关|文种|日期|标题)[:：](.*)$",
                    re.IGNORECASE)
_FIELD_NAMES = {"区": "district", "年份": "year", "年": "year", "领域": "domain", "发文机关": "issuer", "文种": "kind",
                "日期": "date", "标题": "title"}
_DATE_PART = re.compile(r"^\s*(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?\s*$")
_YEAR = re.compile(r"^\s*(\d{4})\s*(?:[-–—~至到]\s*(\d{4}))?\s*$")
_UNSUPPORTED = re.compile(r"[*?？~^()（）\[\]{}\\]")  # wildcard, fuzzy, boost and grouping syntax of other engines
_TOKEN = re.compile(r'"[^"]*"?|“[^”]*”?|\S+')


@dataclass
class ParsedQuery:
    tree: AllOf | None
    filters: Filters = field(default_factory=Filters)
    notes: list[str] = field(default_factory=list)
    words: list[str] = field(default_factory=list)  # every positive word, normalized
    # set by the service: the tree as the researcher meant it before parts and
    # synonyms (fillers set aside, pinyin read, places made filters), which a
    # thin answer reads again; the same with a word the index lacks read as
    # its parts (what ranks above synonyms); and the places that became filters
    typed: AllOf | None = None
    literal: AllOf | None = None
    places: list = field(default_factory=list)
    synonyms: bool = True
    # words typed with a trailing * (放管*): the planner makes each Term of
    # one of these the indexed words that start with it
    prefixes: set[str] = field(default_factory=set)


def parse_year(text: str) -> tuple[int, int] | None:
    m = _YEAR.match(text)
    if not m:
        return None
    lo = int(m.group(1))
    hi = int(m.group(2) or lo)
    if lo > hi:
        lo, hi = hi, lo
    if lo < YEAR_MIN or hi > YEAR_MAX:
        return None
    return lo, hi


def _date_bounds(text: str) -> tuple[str, str] | None:
    """The first and last day of ``2021-03-05``, ``2021-03`` or ``2021``."""
    m = _DATE_PART.match(text)
    if not m:
        return None
    year = int(m.group(1))
    if not YEAR_MIN <= year <= YEAR_MAX:
        return None
    try:
        if m.group(3):
            day = datetime.date(year, int(m.group(2)), int(m.group(3))).isoformat()
            return day, day
        if m.group(2):
            month = int(m.group(2))
            last = calendar.monthrange(year, month)[1]
            return datetime.date(year, month, 1).isoformat(), datetime.date(year, month, last).isoformat()
    except ValueError:
        return None
    return f"{year}-01-01", f"{year}-12-31"


def parse_date_span(text: str) -> tuple[str, str] | None:
    """An inclusive span of days: ``2021-03-01..2021-06-30``, open at either
    end (``2021-03-01..``, ``..2021-06-30``), or one day, month or year
    (``2021-03``: all of March). None when it is none of these."""
    text = (text or "").strip()
    if ".." not in text:
        return _date_bounds(text)
    low_text, _, high_text = text.partition("..")
    low = _date_bounds(low_text) if low_text.strip() else (DAY_LOW, DAY_LOW)
    high = _date_bounds(high_text) if high_text.strip() else (DAY_HIGH, DAY_HIGH)
    if low is None or high is None or (not low_text.strip() and not high_text.strip()):
        return None
    span = (low[0], high[1])
    return span if span[0] <= span[1] else (high[0], low[1])


def _group(words: list[str]):
    """One typed chunk (e.g. 放管服改革): its words, next to each other."""
    if len(words) == 1:
        return Term(words[0])
    return AllOf(tuple(Term(w) for w in words), sequence=True)


def _filter(raw: str, filters: Filters, notes: list[str]) -> str | None:
    """A ``district:``/``year:``/``domain:`` filter taken into ``filters``
    (None: nothing left to search for); anything else, the text to read as
    words (a year that is not one is searched for as typed)."""
    m = _FIELD.match(raw)
    if not m:
        return raw
    name = _FIELD_NAMES.get(m.group(1), m.group(1).lower())
    value = m.group(2).strip()
    if not value:
        notes.append(f"“{raw}” 缺少取值，已忽略。")
        return None
    if name == "year":
        span = parse_year(value)
        if span is None:
            notes.append(f"“{raw}” 不是有效的年份或年份范围（如 2020 或 2018-2021），已按普通词检索。")
            return value
        filters.year.append(span)
    elif name == "date":
        day_span = parse_date_span(value)
        if day_span is None:
            notes.append(f"“{raw}” 不是有效的日期范围（如 2021-03-01..2021-06-30），已按普通词检索。")
            return value
        filters.date = day_span
    elif name == "title":  # every word of it in the document's title
        found = analysis.words(value.strip('"“”'))
        if not found:
            notes.append(f"“{raw}” 中没有可检索的词，已忽略。")
        filters.title.extend(w for w in found if w not in filters.title)
    else:  # district, domain, issuer, kind: converted and canonicalised once, with the options' (plan)
        getattr(filters, name).append(value)
    return None


def _node(raw: str, notes: list[str], unsupported: set[str], prefixes: set[str]):
    """A quoted phrase (exactly these characters, no synonym, never read as
    something else), a word's start (``放管*``: a Term the planner widens to
    the words that start with it) or a run of words (None when it holds no
    word), and the text read for it."""
    stem = raw.rstrip("*")
    if stem != raw and stem and not _UNSUPPORTED.search(stem) and stem[0] not in "\"“":
        start = "".join(ch for ch in analysis.normalize_word(stem) if ch.isalnum())
        if start:
            prefixes.add(start)
            return Term(start), raw
    phrase = raw[:1] in ('"', "“")
    if phrase:
        closed = len(raw) > 1 and raw[-1] in ('"', "”")
        inner = raw[1:-1] if closed else raw[1:]
        if not closed:
            notes.append("引号没有闭合，已按普通词检索。")
            phrase = False
        raw = inner
    if not phrase and _UNSUPPORTED.search(raw):
        unsupported.update(_UNSUPPORTED.findall(raw))
    words = analysis.words(raw)
    if not words:
        return None, raw
    return (Exact(tuple(words), chars=analysis.exact_chars(raw)) if phrase else _group(words)), raw


def parse(text: str) -> ParsedQuery:
    notes: list[str] = []
    filters = Filters()
    text = text or ""
    if len(text) > MAX_QUERY_CHARS:
        text = text[:MAX_QUERY_CHARS]
        notes.append(f"查询过长，只使用前 {MAX_QUERY_CHARS} 个字符。")
    # alternatives: list of lists of nodes; OR starts a new alternative
    positive: list = []
    excluded: list = []
    pending_or = False
    literal_note = False
    unsupported: set[str] = set()
    prefixes: set[str] = set()
    tokens = _TOKEN.findall(text)
    i = 0
    while i < len(tokens):
        raw = tokens[i]
        i += 1
        negate = False
        if raw == "OR" or raw == "|":
            pending_or = bool(positive)
            if not positive:
                literal_note = True
            continue
        if raw in ("AND", "&&"):
            continue
        if raw == "NOT":
            if i < len(tokens):
                raw = tokens[i]
                i += 1
                negate = True
            else:
                literal_note = True
                continue
        elif raw.startswith("-") and len(raw) > 1:
            negate = True
            raw = raw[1:]
        if not negate:
            raw = _filter(raw, filters, notes)
            if raw is None:
                continue
        node, read = _node(raw, notes, unsupported, prefixes)
        if node is None:
            literal_note = literal_note or bool(read.strip())  # symbols only
            continue
        if negate:
            excluded.append(node)
            continue
        if pending_or and positive:
            prev = positive.pop()
            items = prev.items if isinstance(prev, AnyOf) else (prev,)
            positive.append(AnyOf(items + (node,)))
        else:
            positive.append(node)
        pending_or = False
    if pending_or:
        literal_note = True
    if unsupported:
        shown = " ".join(sorted(unsupported))
        notes.append(f"不支持 {shown}（通配符、括号等）：已按字面词语检索。支持的写法：空格隔开的词（都要出现）、"
                     "\"短语\"、OR、-词 或 NOT 词（排除）、词尾的 *（以此开头的词：放管*）、district:、year:、domain:、"
                     "title:；词语本身按整词匹配。")
    elif literal_note:
        notes.append("查询中有无法识别的运算符或符号，已按字面词语检索。")

    positive = list(dict.fromkeys(positive))  # a word typed twice asks for it once
    excluded = list(dict.fromkeys(excluded))
    flat_words = [w for node in positive for w in iter_terms(node)]
    if len(flat_words) > MAX_WORDS:
        notes.append(f"查询词过多，只使用前 {MAX_WORDS} 个词。")
        positive = _truncate(positive, MAX_WORDS)
        flat_words = flat_words[:MAX_WORDS]
    tree = AllOf(tuple(positive), tuple(excluded)) if (positive or excluded) else None
    return ParsedQuery(tree, filters, notes, flat_words, prefixes=prefixes)


def exact_runs(node):
    """The same tree with every run typed without spaces also matching by
    its exact characters (``AllOf.chars``): a sentence pasted without
    quotes is found where the segmenter cut the query and the paragraph
    differently, or where the paragraph has punctuation the paste lost. Its
    characters are the words as typed (an alias group's first, the word
    typed)."""
    if isinstance(node, AllOf):
        items = tuple(exact_runs(i) for i in node.items)
        chars = ""
        if node.sequence and not node.exclude:
            typed = [i.items[0] if isinstance(i, AnyOf) else i for i in node.items]
            if all(isinstance(i, Term) for i in typed):
                chars = analysis.exact_chars("".join(i.text for i in typed))
        return AllOf(items, node.exclude, node.sequence, chars)
    if isinstance(node, AnyOf):
        return AnyOf(tuple(exact_runs(i) for i in node.items))
    return node


def loosen(node):
    """The same tree with every typed run relaxed to "all its words, anywhere"."""
    if isinstance(node, AllOf):
        return AllOf(tuple(loosen(i) for i in node.items), node.exclude, False)
    if isinstance(node, AnyOf):
        return AnyOf(tuple(loosen(i) for i in node.items))
    return node


def sequences(node) -> list[str]:
    """The typed runs of several words in a tree, as their text."""
    out = []
    if isinstance(node, AllOf):
        if node.sequence and len(node.items) > 1:
            out.append("".join(iter_terms(node)))
        for item in node.items:
            out.extend(sequences(item))
    elif isinstance(node, AnyOf):
        for item in node.items:
            out.extend(sequences(item))
    return out


def _truncate(nodes, budget):
    """The query's first ``budget`` words, in the shape they were typed: a
    node that crosses the limit keeps its first words (a pasted sentence
    stays a shorter run of the same sentence, an OR list its first
    alternatives), so a long query is never emptier than its beginning."""
    kept = []
    for node in nodes:
        if budget <= 0:
            break
        node, used = _first_words(node, budget)
        if node is not None:
            kept.append(node)
        budget -= used
    return kept


def _first_words(node, budget):
    """``(node cut to its first budget words or None, words it keeps)``."""
    if isinstance(node, Term):
        return node, 1
    if isinstance(node, Phrase):
        if len(node.words) <= budget:
            return node, len(node.words)
        words = node.words[:budget]
        if isinstance(node, Exact):  # a quote cut short: the characters of its first words
            return Exact(words, chars=analysis.exact_chars("".join(words))), len(words)
        return (Phrase(words) if len(words) > 1 else Term(words[0])), len(words)
    kept, used = [], 0
    for item in node.items:
        if used >= budget:
            break
        item, n = _first_words(item, budget - used)
        if item is not None and (getattr(node, "sequence", False) or item not in kept):
            kept.append(item)
        used += n
    if not kept:
        return None, used
    if len(kept) == 1:
        return kept[0], used
    if isinstance(node, AnyOf):
        return AnyOf(tuple(kept)), used
    return AllOf(tuple(kept), node.exclude, node.sequence), used
