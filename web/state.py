"""The page's whole state, read from and written back to the URL.

Every view is a URL (bookmarkable, shareable, back/forward work), so the
templates never build query strings: they get ready-made toggle URLs, the way
Datasette's facets do — one helper adds a value, one removes it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

from search import facets
from search.engine import FACETS
from search.facets import as_indexed
from search.query.parse import parse_date_span, parse_year
from search.query.options import MAX_LIMIT, SORTS, Options
from search.text import ascii_int

FACET_LABELS = facets.LABELS
MAX_PAGE = 1000
MAX_QUERY_CHARS = 1000
MAX_VALUES = 20  # per facet
VIEWS = ("paragraphs", "documents")  # one row per matching paragraph, or per document


@dataclass(frozen=True)
class SearchState:
    q: str = ""
    district: tuple[str, ...] = ()
    year: tuple[str, ...] = ()
    domain: tuple[str, ...] = ()
    issuer: tuple[str, ...] = ()
    kind: tuple[str, ...] = ()
    date: str = ""  # a span of days (search.query.parse.parse_date_span)
    sort: str = "relevance"
    page: int = 1
    limit: int = 10
    view: str = "paragraphs"
    synonyms: bool = True  # synonyms=0: the words as typed only

    # ------------------------------------------------------------ reading
    @classmethod
    def from_args(cls, args, default_limit: int = 10) -> tuple["SearchState", list[str]]:
        """A valid state plus messages for every parameter that was not; a bad
        value is dropped (and reported), never an error page."""
        errors: list[str] = []
        # An over-long query is not an error: the library keeps its first
        # words and says so in a note. This bound only caps the work.
        q = (args.get("q") or "").strip()[:MAX_QUERY_CHARS * 10]

        def values(name):
            out = [v.strip() for v in args.getlist(name) if v and v.strip()]
            out = list(dict.fromkeys(out))
            if len(out) > MAX_VALUES:
                errors.append(f"“{FACET_LABELS[name]}”最多选 {MAX_VALUES} 项。")
                out = out[:MAX_VALUES]
            return tuple(v[:50] for v in out)

        years = []
        for y in values("year"):
            if parse_year(y) is None:
                errors.append(f"年份“{y}”无效，应为 2020 或 2018-2021。")
            else:
                years.append(y)
        sort = args.get("sort") or "relevance"
        if sort not in SORTS:
            errors.append(f"排序方式“{sort[:20]}”无效，已按相关度排序。")
            sort = "relevance"
        view = args.get("view") or "paragraphs"
        if view not in VIEWS:
            errors.append(f"视图“{view[:20]}”无效，已按段落列出。")
            view = "paragraphs"
        page = _int(args.get("page"), 1, 1, MAX_PAGE, "页码", errors)
        limit = _int(args.get("limit"), default_limit, 1, MAX_LIMIT, "每页条数", errors)
        # a value as the index holds it (龙华 → 龙华区), so the sidebar shows it
        # selected and its chip removes it; an unknown one stays as typed
        indexed = {facet: tuple(dict.fromkeys(_indexed(facet, v) for v in values(facet)))
                   for facet in FACETS if facet != "year"}
        date = (args.get("date") or "").strip()[:60]
        if date and parse_date_span(date) is None:
            errors.append(f"日期“{date[:30]}”无效，应为 2021-03-01..2021-06-30（可只写一端）、2021-03 或 2021。")
            date = ""
        synonyms = args.get("synonyms", "1") not in ("0", "off", "false", "no")
        return cls(q=q, year=tuple(years), date=date, sort=sort, page=page, limit=limit, view=view,
                   synonyms=synonyms, **indexed), errors

    # ------------------------------------------------------------ using
    def options(self) -> Options:
        return Options(district=list(self.district), year=list(self.year), domain=list(self.domain),
                       issuer=list(self.issuer), kind=list(self.kind), date=self.date, page=self.page,
                       limit=self.limit, sort=self.sort, synonyms=self.synonyms)

    def is_empty(self) -> bool:
        return not (self.q or self.date or any(getattr(self, facet) for facet in FACETS))

    def selected(self, facet: str) -> tuple[str, ...]:
        return getattr(self, facet)

    # ------------------------------------------------------------ writing
    def pairs(self, include_limit: bool = False) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        if self.q:
            out.append(("q", self.q))
        for facet in FACETS:
            out.extend((facet, v) for v in getattr(self, facet))
        if self.date:
            out.append(("date", self.date))
        if self.sort != "relevance":
            out.append(("sort", self.sort))
        if self.view != "paragraphs":
            out.append(("view", self.view))
        if not self.synonyms:
            out.append(("synonyms", "0"))
        if self.page != 1:
            out.append(("page", str(self.page)))
        if include_limit and self.limit != 10:
            out.append(("limit", str(self.limit)))
        return out

    def url(self, path: str = "/", **extra) -> str:
        pairs = self.pairs(include_limit=True) + [(k, v) for k, v in extra.items() if v is not None]
        return path + ("?" + urlencode(pairs) if pairs else "")

    def with_value(self, facet: str, value: str) -> "SearchState":
        return replace(self, page=1, **{facet: getattr(self, facet) + (value,)})

    def without_value(self, facet: str, value: str) -> "SearchState":
        return replace(self, page=1, **{facet: tuple(v for v in getattr(self, facet) if v != value)})

    def toggle(self, facet: str, value: str) -> "SearchState":
        if value in getattr(self, facet):
            return self.without_value(facet, value)
        return self.with_value(facet, value)

    def at_page(self, page: int) -> "SearchState":
        return replace(self, page=page)

    def sorted_by(self, sort: str) -> "SearchState":
        return replace(self, sort=sort, page=1)

    def viewed_as(self, view: str) -> "SearchState":
        return replace(self, view=view, page=1)

    def with_query(self, q: str) -> "SearchState":
        return replace(self, q=q, page=1)

    def unfiltered(self) -> "SearchState":
        return replace(self, date="", page=1, **{facet: () for facet in FACETS})

    def dated(self, date: str) -> "SearchState":
        return replace(self, date=date, page=1)


def paging(state: SearchState, total: int, url=SearchState.url) -> dict:
    """The pager's links for ``total`` rows at the state's page size: first,
    previous (from past the end: the last page), the numbers around this
    page, next, last; ``url``: a state's address on the page it is for."""
    pages = min(MAX_PAGE, max(1, math.ceil(total / state.limit))) if total else 1
    window = range(max(1, state.page - 3), min(pages, state.page + 3) + 1)
    return {
        "pages": pages,
        "first": url(state.at_page(1)) if state.page > 1 else None,
        "last": url(state.at_page(pages)) if state.page < pages else None,
        "prev": url(state.at_page(min(state.page, pages + 1) - 1)) if state.page > 1 else None,
        "next": url(state.at_page(state.page + 1)) if state.page < pages else None,
        "numbers": [(p, url(state.at_page(p)), p == state.page) for p in window],
        "past_end": bool(total) and state.page > pages,
        "last_url": url(state.at_page(pages)),
    }


def _int(raw, default, lo, hi, label, errors) -> int:
    if raw in (None, ""):
        return default
    value = ascii_int(raw.strip() if isinstance(raw, str) else raw)
    if value is None:
        errors.append(f"{label}“{str(raw)[:20]}”不是数字。")
        return default
    if not lo <= value <= hi:
        errors.append(f"{label}应在 {lo}–{hi} 之间。")
        return min(max(value, lo), hi)
    return value


@dataclass
class FacetValue:
    """One row of the sidebar: Datasette's facet record."""

    value: str
    label: str
    count: int
    selected: bool
    toggle_url: str


@dataclass
class Facet:
    name: str
    label: str
    values: list[FacetValue] = field(default_factory=list)


def facet_records(state: SearchState, counts: dict[str, dict[str, int]], url=SearchState.url) -> list[Facet]:
    """Sidebar records; a selected value stays listed (with its count, or 0) so
    it can be removed where it was added. ``url``: a state's address on the
    page the sidebar is on (the search page's by default)."""
    out = []
    for name in FACETS:
        facet = Facet(name, FACET_LABELS[name])
        values = dict(counts.get(name) or {})
        for v in state.selected(name):
            if v not in values and name == "year":
                lo, hi = parse_year(v)  # a range: the years it covers
                values[v] = sum(c for y, c in values.items() if ascii_int(y) is not None and lo <= int(y) <= hi)
            values.setdefault(v, 0)
        items = list(values.items())
        if name == "year":
            items.sort(key=lambda kv: kv[0], reverse=True)
        for value, count in items:
            selected = value in state.selected(name)
            label = f"{value}年" if name == "year" else value
            facet.values.append(FacetValue(value, label, count, selected, url(state.toggle(name, value))))
        out.append(facet)
    return out


def chips(state: SearchState, url=SearchState.url) -> list[dict]:
    """Active filters, each with the URL that removes it."""
    out = [{"facet": FACET_LABELS[f], "value": v, "remove_url": url(state.without_value(f, v))}
           for f in FACETS for v in state.selected(f)]
    if state.date:
        out.append({"facet": "日期", "value": state.date, "remove_url": url(state.dated(""))})
    return out


def _indexed(facet: str, value: str) -> str:
    """A known value as the index holds it; an unknown one as typed."""
    indexed, known = as_indexed(facet, value)
    return indexed if known else value
