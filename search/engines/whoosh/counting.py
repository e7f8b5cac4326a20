"""Counting a search's matches in one pass over the facet columns: the total,
the facets (each ignoring its own selection), documents and the pivot,
while the ranked page is collected."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from whoosh.collectors import WrappingCollector

from ...engine import DOCUMENT_BUCKETS, empty_counts, EngineResult, reading_order, SearchRequest
from .schema import text_of


class AllowedWithin(WrappingCollector):
    """Collects only the matches in ``allow`` (global document numbers; None:
    every match) and stops at ``deadline``.

    One collector for both jobs, because Whoosh's own pair does not compose:
    a ``TimeLimitCollector`` around a ``FilterCollector`` calls the inner
    collector's ``collect`` directly, so the filter is skipped (with the
    server's default time limit every filter was ignored), and the other way
    round the time limit is never looked at."""

    CLOCK_EVERY = 256  # matches between two looks at the clock

    def __init__(self, child, allow: set[int] | None, deadline: float | None):
        super().__init__(child)
        self.allow = allow
        self.deadline = deadline
        self.timed_out = False
        self._seen = 0

    def collect_matches(self):
        if self.timed_out:
            return  # later segments after the deadline: nothing more
        child, allow, deadline = self.child, self.allow, self.deadline
        offset = child.offset
        seen = self._seen
        for sub_docnum in child.matches():
            if allow is not None and offset + sub_docnum not in allow:
                continue
            seen += 1
            if deadline and seen % self.CLOCK_EVERY == 0 and time.monotonic() > deadline:
                self.timed_out = True
                break
            child.collect(sub_docnum)
        self._seen = seen


@dataclass


class Counted:
    """What one pass over a search's matches counted."""

    total: int = 0
    passing: set = field(default_factory=set)  # the matches every filter lets through (when filtered)
    counts: dict = field(default_factory=empty_counts)  # each facet ignoring its own selection
    doc_sets: dict = field(default_factory=empty_counts)  # the same, as sets of documents
    per_doc: dict = field(default_factory=dict)  # document → its matches that pass
    pivot: dict = field(default_factory=dict)  # district → year → matches
    pivot_docs: dict = field(default_factory=dict)  # (district, year) → documents

    def by_document(self, result: EngineResult, names: list[str], request: SearchRequest) -> None:
        if request.pivot:
            for (d, y), ids in self.pivot_docs.items():
                result.document_pivot.setdefault(d, {})[y] = len(ids)
        most = sorted(self.per_doc.items(), key=lambda kv: -kv[1])[:DOCUMENT_BUCKETS]
        result.documents = {names[i]: c for i, c in most}
        result.document_total = len(result.documents)
        if len(self.per_doc) > len(result.documents):
            result.given_up.append("documents")
        if request.facets:
            result.document_facets = {facet: {v: len(ids) for v, ids in sets.items()}
                                      for facet, sets in self.doc_sets.items()}


def _column(reader, name: str):
    """A facet column, or None in an index older than the facet."""
    return reader.column_reader(name) if reader.has_column(name) else None


class _Decoded:
    """A column's raw values decoded once each (a column holds few distinct
    values: a document's district, its issuers)."""

    def __init__(self):
        self.texts: dict = {}
        self.lists: dict = {}

    def text(self, raw) -> str:
        found = self.texts.get(raw)
        if found is None:
            found = self.texts[raw] = text_of(raw)
        return found

    def split(self, raw) -> tuple:
        """A comma-joined value's parts."""
        found = self.lists.get(raw)
        if found is None:
            joined = text_of(raw)
            found = self.lists[raw] = tuple(joined.split(",")) if joined else ()
        return found


def _in_spans(year: str, spans) -> bool:
    return bool(year) and any(lo <= int(year) <= hi for lo, hi in spans)


def make_tally(reader, request: SearchRequest, doc_of, counted: Counted):
    """The function that counts one match into ``counted`` (from the facet
    columns) and says whether every filter lets it through. A closure, not a
    method: it runs once per match, and its names are cells, not attributes.

    A facet's counts ignore its own selection and honour every other: a
    match that fails no filter counts in every facet, one that fails one
    facet's selection counts in that facet only, and one that fails two (or
    the date span, which is no facet) counts in none. Column values are
    decoded once per search (``_Decoded``), not once per match."""
    f = request.filters
    dcol, ycol, mcol = (reader.column_reader(n) for n in ("district", "year", "domain_set"))
    icol, kcol = _column(reader, "issuer_set"), _column(reader, "kind")
    datecol = reader.column_reader("date") if f.date else None
    want_d, want_m, want_y, want_i, want_k = set(f.district), set(f.domain), f.year, set(f.issuer), set(f.kind)
    low, high = f.date or ("", "")
    filtered, facets, pivoting = not f.is_empty(), request.facets, request.pivot
    owners = doc_of[1] if doc_of is not None else None
    counts, doc_sets, per_doc, passing = counted.counts, counted.doc_sets, counted.per_doc, counted.passing
    pivot, pivot_docs = counted.pivot, counted.pivot_docs
    decoded = _Decoded()
    text, split = decoded.text, decoded.split

    def year_ok(y: str) -> bool:
        return not want_y or _in_spans(y, want_y)

    def tally(docnum: int) -> bool:
        d = text(dcol[docnum])
        y = text(ycol[docnum])
        doms = split(mcol[docnum])
        issuers = split(icol[docnum]) if icol is not None else ()
        k = text(kcol[docnum]) if kcol is not None else ""
        ok_d = not want_d or d in want_d
        ok_y = year_ok(y)
        ok_m = not want_m or not want_m.isdisjoint(doms)
        ok_i = not want_i or not want_i.isdisjoint(issuers)
        ok_k = not want_k or k in want_k
        ok_t = datecol is None or low <= (text(datecol[docnum]) or "~") <= high
        owner = owners[docnum] if owners is not None else None
        kept = ok_d and ok_y and ok_m and ok_i and ok_k and ok_t
        if kept:
            counted.total += 1
            if filtered:
                passing.add(docnum)
            if owner is not None:
                per_doc[owner] = per_doc.get(owner, 0) + 1
        if pivoting and ok_m and ok_i and ok_k and ok_t and d and y:
            row = pivot.setdefault(d, {})
            row[y] = row.get(y, 0) + 1
            if owner is not None:
                pivot_docs.setdefault((d, y), set()).add(owner)
        if not facets or not ok_t:
            return kept
        if not kept and (not ok_d) + (not ok_y) + (not ok_m) + (not ok_i) + (not ok_k) > 1:
            return kept
        for name, values, ok in (("district", (d,) if d else (), ok_d), ("year", (y,) if y else (), ok_y),
                                 ("domain", doms, ok_m), ("issuer", issuers, ok_i), ("kind", (k,) if k else (), ok_k)):
            if kept or not ok:
                bucket = counts[name]
                for value in values:
                    bucket[value] = bucket.get(value, 0) + 1
                    if owner is not None:
                        doc_sets[name].setdefault(value, set()).add(owner)
        return kept

    return tally


class CountingTop(WrappingCollector):
    """Every match, in order, counted by ``tally`` (which says whether the
    filters let it through) and, if it passes, offered to the top-N
    collector inside: the total, the facets and the ranked page in one pass.
    Reads the matcher itself, never the child's ``matches()``: those skip
    blocks by quality and replace the matcher, and a count must see every
    match. Stops at ``deadline``, looked at every ``every`` matches."""

    def __init__(self, child, tally, deadline: float | None, every: int):
        super().__init__(child)
        self.tally, self.deadline, self.every = tally, deadline, every
        self.timed_out = False
        self._seen = 0

    def collect_matches(self):
        if self.timed_out:
            return
        child, tally, deadline, every = self.child, self.tally, self.deadline, self.every
        matcher, offset, seen = child.matcher, child.offset, self._seen
        while matcher.is_active():
            sub_docnum = matcher.id()
            seen += 1
            if deadline and seen % every == 0 and time.monotonic() > deadline:
                self.timed_out = True
                break
            if tally(offset + sub_docnum):
                child.collect(sub_docnum)
            matcher.next()
        self._seen = seen


def reading_order_key(reader, newest_first: bool):
    """``engine.reading_order`` of a paragraph, from the columns (an index
    older than schema 4 keeps doc_id and part only as stored fields)."""
    dates = reader.column_reader("date")
    years = reader.column_reader("year")
    paragraphs = reader.column_reader("paragraph")
    if reader.has_column("doc_id") and reader.has_column("part"):
        doc_ids, parts = reader.column_reader("doc_id"), reader.column_reader("part")

        def place(docnum):
            return text_of(doc_ids[docnum]), parts[docnum]
    else:
        def place(docnum):
            stored = reader.stored_fields(docnum)
            return stored["doc_id"], stored.get("part", 1)

    def key(_searcher, docnum):
        doc_id, part = place(docnum)
        return reading_order(text_of(dates[docnum]), text_of(years[docnum]), doc_id, paragraphs[docnum], part,
                             newest_first)

    return key
