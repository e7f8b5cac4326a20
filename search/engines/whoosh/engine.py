"""Whoosh, the first and default implementation of ``search.engine.Engine``.

Generations, ``CURRENT`` and the lock are ``search.storage``'s. Incremental
updates commit into the live generation (Whoosh commits are atomic: readers
keep the last table of contents until the next one is written); a rebuild
fills a new generation that goes live only when complete.
"""
from __future__ import annotations

import functools
import os
import pickle
import shutil
import struct
import threading
import time
import zlib
from array import array
from pathlib import Path

from whoosh import index, query as wq, sorting

from ... import storage
from ...text import one_line
from ...engine import DocumentRecord, empty_counts, EngineResult, Filters, Hit, SearchRequest
from ...errors import IndexDamaged, IndexMissing
from ..base import FolderEngine, document_of
from .bm25 import LUCENE_BM25
from .counting import AllowedWithin, Counted, CountingTop, make_tally, reading_order_key
from .schema import LATEST_FIELDS, PASSES_KEPT, READABLE_SCHEMAS, SCHEMA_VERSION, make_schema, records, text_of
from .queries import WhooshQueries, within_titles
from .writer import WhooshUpdate

# ------------------------------------------------------------------ reading

_DAMAGE = (EOFError, struct.error, pickle.UnpicklingError, zlib.error, UnicodeDecodeError)
_WHOOSH_PACKAGE = os.path.dirname(index.__file__) + os.sep


def _raised_in_whoosh(exc: BaseException) -> bool:
    tb = exc.__traceback__
    last = None
    while tb is not None:
        last, tb = tb, tb.tb_next
    return last is not None and last.tb_frame.f_code.co_filename.startswith(_WHOOSH_PACKAGE)


def _reading(method):
    """A read that fails inside Whoosh, or in the unpickling and unpacking it
    does, is a damaged index — a truncated, zeroed or garbled segment — and
    says so as a lost table of contents does (``IndexDamaged``: one line and
    the command that rebuilds, a 503 on the web), never "Ran out of input"."""
    @functools.wraps(method)
    def read(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except (IndexMissing, IndexDamaged):
            raise
        except Exception as exc:
            if isinstance(exc, _DAMAGE) or _raised_in_whoosh(exc):
                where = self._gen or self.root
                raise IndexDamaged(f"{where} cannot be read ({type(exc).__name__}: {one_line(exc)[:200]})") from None
            raise
    return read


class WhooshEngine(FolderEngine):
    """Opened once per process and shared; searching is thread-safe.

    Each thread gets its own Whoosh searcher: a segment reader moves one file
    position through its postings (seek, then read), so two threads sharing
    one searcher read each other's blocks — under load that showed as
    corrupt pickles and truncated zlib streams.
    """

    NAME = "whoosh"
    SCHEMA_VERSION = SCHEMA_VERSION
    READABLE_SCHEMAS = READABLE_SCHEMAS
    UPDATE = WhooshUpdate
    DEADLINE_EVERY = 1024  # matches between two looks at the clock while counting facets

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self._lock = threading.Lock()
        self._local = threading.local()
        self._epoch = 0  # bumped by reopen(): every thread then opens afresh
        self._open_searchers: set = set()

    # -- lifecycle (``FolderEngine``'s, with these hooks)
    @staticmethod
    def _open_index(gen: Path):
        return index.open_dir(str(gen))

    @staticmethod
    def _create_index(gen: Path) -> None:
        index.create_in(str(gen), make_schema())

    def _release(self, ix) -> None:
        ix.close()

    def _collect_garbage(self, live: Path, ix) -> None:
        """The segment files and temporary job files the live table of
        contents does not name."""
        toc = index.TOC.read(ix.storage, ix.indexname)
        index.clean_files(ix.storage, ix.indexname, toc.generation, toc.segments)
        for leftover in live.iterdir():
            if leftover.is_dir() and leftover.name.endswith(".tmp"):  # a writer's temporary storage
                shutil.rmtree(leftover, ignore_errors=True)

    def reopen(self) -> None:
        with self._lock:
            self._epoch += 1

    def searcher(self):
        view = self._local
        stamp = storage.pointer_stamp(self.root)
        current = getattr(view, "searcher", None)
        if current is not None and stamp == view.stamp and view.epoch == self._epoch and current.up_to_date():
            return current
        # An incremental commit into the live generation is read afresh too,
        # never through Searcher.refresh(): Whoosh's reader reuse keys the
        # open segment readers by segment, so a segment whose paragraphs the
        # commit deleted kept answering with them (and the segments a merge
        # removed were added back).
        gen = storage.live_generation(self.root)
        fresh = self._open(gen).searcher(weighting=LUCENE_BM25)
        view.searcher, view.gen, view.stamp, view.epoch = fresh, gen, stamp, self._epoch
        self._replace(current, fresh)
        return fresh

    def _replace(self, old, new) -> None:
        with self._lock:
            self._open_searchers.add(new)
            if old is not None and old is not new:
                self._open_searchers.discard(old)
                try:
                    old.close()  # only this thread ever used it
                except Exception:
                    pass

    @property
    def _gen(self) -> Path | None:
        return getattr(self._local, "gen", None)

    def close(self) -> None:
        with self._lock:
            for s in self._open_searchers:
                try:
                    s.close()
                except Exception:
                    pass
            self._open_searchers.clear()
            self._epoch += 1
        self._local = threading.local()

    # -- inventory
    @_reading
    def catalogue(self) -> list[DocumentRecord]:
        s = self.searcher()
        if not s.doc_count():
            return []
        reader = s.reader()
        if "first" in s.schema and reader.doc_frequency("first", "1"):  # schema 5: the first paragraphs' postings
            return [records(s.stored_fields(n), tokens=False)[0]
                    for n in reader.postings("first", "1").all_ids() if not reader.is_deleted(n)]
        out = []
        for raw in reader.lexicon("doc_id"):
            stored = s.document(doc_id=text_of(raw))
            if stored:
                out.append(records(stored, tokens=False)[0])
        return out

    @_reading
    def facet_documents(self, facet: str) -> dict[str, dict[str, int]]:
        """From each value's postings and the paragraph → document table:
        no pass over the paragraphs."""
        s = self.searcher()
        if not s.doc_count():
            return {}
        reader = s.reader()
        names, owner = self._documents_of(s)
        out = {}
        for raw in reader.lexicon(facet):
            per_doc: dict[str, int] = {}
            for n in reader.postings(facet, raw).all_ids():
                if owner[n] >= 0 and not reader.is_deleted(n):
                    per_doc[names[owner[n]]] = per_doc.get(names[owner[n]], 0) + 1
            if per_doc:
                out[text_of(raw)] = per_doc
        return out

    @_reading
    def stats(self) -> dict:
        s = self.searcher()
        return {"paragraphs": s.doc_count(), "documents": len(list(s.reader().lexicon("doc_id"))),
                "generation": self._gen.name if self._gen else None}

    @_reading
    def facet_values(self, facet: str) -> list[str]:
        """Every value of a facet in the index (for a note that lists them)."""
        s = self.searcher()
        if not s.doc_count() or facet not in s.schema:  # an index older than the facet
            return []
        return sorted(text_of(v) for v in s.reader().lexicon(facet) if v)

    # -- terms
    @_reading
    def known_terms(self, words) -> set[str]:
        """The words a paragraph or a heading holds (one searcher for all)."""
        s = self.searcher()
        return {w for w in set(words) if s.doc_frequency("text", w) > 0 or s.doc_frequency("section", w) > 0}

    @_reading
    def term_counts(self, words) -> dict[str, int]:
        s = self.searcher()
        return {w: s.doc_frequency("text", w) for w in set(words)}

    @_reading
    def _neighbours(self, word: str):
        reader = self.searcher().reader()
        return [(term, reader.doc_frequency("text", term)) for term in reader.terms_within("text", word, 1, prefix=1)
                if term != word and len(term) == len(word)]

    # -- searching
    @_reading
    def search(self, request: SearchRequest) -> EngineResult:
        s = self.searcher()
        deadline = time.monotonic() + request.time_limit if request.time_limit else None
        q = WhooshQueries(LATEST_FIELDS.intersection(s.schema.names())).ranked_query(request.query, request.preferred)
        f = request.filters
        if f.title:  # matched, not tallied: every count honours it
            q = within_titles(q, f.title)
        if not s.doc_count():
            # an index of nothing (every file skipped) has no columns to read
            return EngineResult(total=0, hits=[], facets=empty_counts())
        # by document: a paragraph's document from a table built once per searcher
        doc_of = self._documents_of(s) if request.documents else None
        counted = Counted()
        page, limit = max(1, request.page), max(0, request.limit)
        # a search that only ranks (the by-document walk's batches) reuses
        # the total and the passing set of the same question's last pass
        key = (request.query, f.key())
        passes = s.__dict__.setdefault("_reform_passes", {})
        one_pass, timed_out = None, []
        if not (request.facets or request.documents or request.pivot) and key in passes:
            counted.total, counted.passing = passes[key]
        else:
            one_pass, timed_out = self._count(s, q, make_tally(s.reader(), request, doc_of, counted), request,
                                              page * limit, deadline)
            if not timed_out:
                if len(passes) >= PASSES_KEPT:
                    passes.pop(next(iter(passes)))
                passes[key] = (counted.total, counted.passing)
        # A timed-out count is only a lower bound: then fetch the page anyway.
        if one_pass is not None and not timed_out:
            results = one_pass.results()
        elif limit and (timed_out or (page - 1) * limit < counted.total):
            results = self._rank(s, q, request, counted.passing, deadline, page * limit, timed_out)
        else:
            results = []
        hits = [Hit(*records(hit.fields(), not request.light), _relevance(hit.score))
                for hit in results[(page - 1) * limit:page * limit]]
        result = EngineResult(total=counted.total, hits=hits, facets=counted.counts, timed_out=timed_out,
                              pivot=counted.pivot)
        if doc_of is not None:
            counted.by_document(result, doc_of[0], request)
        return result

    def _count(self, s, q, tally, request: SearchRequest, wanted: int, deadline):
        """One pass over every match: the total and every facet's counts;
        ranked by relevance, the page too, collected in the same pass (every
        match is visited for the counts anyway, and a second pass to rank
        them cost as much again: the ranking cannot skip blocks by quality,
        see _AndMaybeMatcher). (the collector or None, what timed out)"""
        if wanted and request.sort == "relevance":
            one_pass = CountingTop(s.collector(limit=wanted, terms=False), tally, deadline, self.DEADLINE_EVERY)
            s.search_with_collector(q, one_pass)
            return one_pass, ["facets"] if one_pass.timed_out else []
        match_q = q
        while isinstance(match_q, wq.AndMaybe):
            match_q = match_q.a
        for n, docnum in enumerate(s.docs_for_query(match_q), 1):
            if deadline and n % self.DEADLINE_EVERY == 0 and time.monotonic() > deadline:
                return None, ["facets"]
            tally(docnum)
        return None, []

    @staticmethod
    def _rank(s, q, request: SearchRequest, passing: set[int], deadline, wanted: int, timed_out: list[str]):
        """The best ``wanted`` matches in the request's order (appending
        "ranking" to ``timed_out`` if the limit cut it short). The count
        already knows which matches pass the filters, so ranking gets them as
        a set; only after a timeout does a filter query decide. Not
        search(filter=<query>): Whoosh then tests the truth of a bit set for
        every match, a scan of the whole set each time."""
        f = request.filters
        count_timed_out = bool(timed_out)  # then ``passing`` is only what was counted in time
        ranked_q, allow = q, None
        if not f.is_empty() and not count_timed_out:
            allow = passing
        elif not f.is_empty():
            ranked_q = wq.And([q, wq.ConstantScoreQuery(_filter_query(f), 0.0)])
        sortedby = None
        if request.sort in ("date", "date-asc"):
            # the reading order is unique per paragraph: the score facet
            # after it orders nothing, it carries each hit's score along
            sortedby = [sorting.FunctionFacet(reading_order_key(s.reader(), newest_first=request.sort == "date")),
                        sorting.ScoreFacet()]
        # what is left of the budget, but never less than a moment: a page
        # of the best hits found so far beats none
        ranking_deadline = max(deadline, time.monotonic() + 0.2) if deadline else None
        collector = AllowedWithin(s.collector(limit=wanted, sortedby=sortedby, terms=False), allow, ranking_deadline)
        s.search_with_collector(ranked_q, collector)
        if collector.timed_out:
            timed_out.append("ranking")
        return collector.results()

    def _documents_of(self, s) -> tuple[list[str], array]:
        """(doc ids, each paragraph's index into them): read once per searcher
        from the doc_id postings, as the paragraph → document table that
        Whoosh has no column for."""
        table = getattr(s, "_reform_documents_of", None)
        if table is None:
            reader = s.reader()
            names: list[str] = []
            owner = array("i", [-1]) * reader.doc_count_all()
            for i, term in enumerate(reader.lexicon("doc_id")):
                names.append(text_of(term))
                for docnum in reader.postings("doc_id", term).all_ids():
                    owner[docnum] = i
            table = (names, owner)
            s._reform_documents_of = table
        return table

    @_reading
    def document(self, doc_id: str, first: int = 1, last: int | None = None) -> DocumentRecord | None:
        s = self.searcher()
        if not s.doc_count():
            return None
        # Only the stored chunks of the paragraphs asked for are read: a 50 MB
        # document is not loaded to show one page of it. (Writer processes
        # share one document's chunks, so chunk numbers are not in reading
        # order: select by the paragraph column, then sort.)
        docnums = list(s.docs_for_query(wq.Term("doc_id", doc_id)))
        if not docnums:
            return None
        numbers = s.reader().column_reader("paragraph")
        wanted, count = [], 0
        for d in docnums:
            n = numbers[d]
            count = max(count, n)
            if first <= n and (last is None or n <= last):
                wanted.append(d)
        return document_of([records(s.stored_fields(d)) for d in (wanted or docnums[:1])], count, bool(wanted))

def _relevance(score) -> float:
    """A sorted search reports its sort key as the score; ScoreFacet's part of
    that key is the negated relevance score."""
    if isinstance(score, tuple):
        score = -score[-1] if score and isinstance(score[-1], (int, float)) else 0.0
    return float(score or 0.0)


def _filter_query(f: Filters):
    parts = []
    if f.district:
        parts.append(wq.Or([wq.Term("district", d) for d in f.district]))
    if f.year:
        years = sorted({y for lo, hi in f.year for y in range(lo, hi + 1)})
        parts.append(wq.Or([wq.Term("year", str(y)) for y in years]))
    if f.domain:
        parts.append(wq.Or([wq.Term("domain", d) for d in f.domain]))
    if f.issuer:
        parts.append(wq.Or([wq.Term("issuer", i) for i in f.issuer]))
    if f.kind:
        parts.append(wq.Or([wq.Term("kind", k) for k in f.kind]))
    if f.date:
        parts.append(wq.TermRange("date", f.date[0], f.date[1]))
    parts.extend(wq.Term("title", w) for w in f.title)
    if not parts:
        return None
    return wq.And(parts) if len(parts) > 1 else parts[0]
