"""Whoosh, the first and default implementation of ``search.engine.Engine``.

Storage layout: ``<index>/CURRENT`` names the live generation folder
(``gen-000003``). Incremental updates commit into the live generation (Whoosh
commits are atomic: readers keep the last table of contents until the next one
is written). A full rebuild writes a new generation and switches ``CURRENT``
with an atomic rename when it has committed, so readers never see a half-built
index, and a killed rebuild leaves the old one live.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import threading
import time
from pathlib import Path
from typing import Iterator

from whoosh import columns, fields, index, query as wq, sorting
from whoosh.analysis import Token as WToken
from whoosh.analysis import Tokenizer as WTokenizer
from whoosh.collectors import WrappingCollector
from whoosh.multiproc import MpWriter, SubWriterTask

from . import analysis
from .engine import (
    AllOf,
    AnyOf,
    ChunkRecord,
    DocumentRecord,
    EngineResult,
    Filters,
    Hit,
    IndexMissing,
    Phrase,
    SearchRequest,
    Term,
)

CURRENT = "CURRENT"
_GEN = re.compile(r"^gen-(\d{6})$")
SCHEMA_VERSION = 1



class WhooshChineseTokenizer(WTokenizer):
    """Adapts ``search.analysis`` to Whoosh's tokenizer protocol, unchanged."""

    CACHE_CHARS = 64  # a title or heading repeats on every paragraph it covers
    CACHE_ENTRIES = 4096

    def __init__(self):
        self._analyzer = analysis.index_analyzer()
        self._cache: dict[str, list[tuple[str, int, int, int]]] = {}

    def _tokens(self, value: str) -> list[tuple[str, int, int, int]] | Iterator:
        if len(value) > self.CACHE_CHARS:
            return ((t.text, t.pos, t.startchar, t.endchar) for t in self._analyzer(value, 0))
        found = self._cache.get(value)
        if found is None:
            if len(self._cache) >= self.CACHE_ENTRIES:
                self._cache.clear()
            found = self._cache[value] = [(t.text, t.pos, t.startchar, t.endchar) for t in self._analyzer(value, 0)]
        return found

    def __getstate__(self):
        return {}  # pickled into the schema: nothing but the class

    def __setstate__(self, state):
        self.__init__()

    def __eq__(self, other):
        return type(other) is type(self)

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        t = WToken(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            t.original = t.text = value
            t.boost = 1.0
            if positions:
                t.pos = start_pos
            if chars:
                t.startchar, t.endchar = start_char, start_char + len(value)
            yield t
            return
        for text, pos, startchar, endchar in self._tokens(value):
            t.text = text
            t.boost = 1.0
            if keeporiginal:
                t.original = text
            t.stopped = False
            if positions:
                t.pos = start_pos + pos
            if chars:
                t.startchar = start_char + startchar
                t.endchar = start_char + endchar
            yield t


def make_schema() -> fields.Schema:
    ana = WhooshChineseTokenizer()
    return fields.Schema(
        chunk_id=fields.ID(stored=True, unique=True),
        doc_id=fields.ID(stored=True),
        source=fields.STORED(),
        corpus=fields.STORED(),
        content_hash=fields.STORED(),
        title=fields.TEXT(analyzer=ana, stored=True, phrase=False),
        section=fields.TEXT(analyzer=ana, stored=True),
        section_path=fields.STORED(),
        text=fields.TEXT(analyzer=ana, stored=True),
        paragraph=fields.NUMERIC(int, stored=True, sortable=True),
        part=fields.STORED(),
        district=fields.ID(stored=True, sortable=columns.RefBytesColumn()),
        year=fields.ID(stored=True, sortable=columns.RefBytesColumn()),
        date=fields.ID(stored=True, sortable=columns.RefBytesColumn()),
        domain=fields.KEYWORD(stored=True, commas=True, lowercase=False),
        domain_set=fields.COLUMN(columns.RefBytesColumn()),
    )


# ------------------------------------------------------------------ storage


def _generations(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and _GEN.match(p.name))


def current_generation(root: Path) -> Path | None:
    pointer = root / CURRENT
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    gen = root / name
    return gen if _GEN.match(name) and index.exists_in(str(gen)) else None


def _switch(root: Path, gen: Path) -> None:
    tmp = root / (CURRENT + ".tmp")
    tmp.write_text(gen.name + "\n", encoding="utf-8")
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, root / CURRENT)


def _prune(root: Path, keep: set[Path]) -> None:
    """Remove generations that are neither live nor the one before it (readers
    that opened the previous one a moment ago may still be using it)."""
    for gen in _generations(root):
        if gen not in keep:
            shutil.rmtree(gen, ignore_errors=True)


# ------------------------------------------------------------------ writing


class WhooshUpdate:
    def __init__(self, engine: "WhooshEngine", gen: Path, new_generation: bool, procs: int = 1):
        self.engine = engine
        self.gen = gen
        self.new_generation = new_generation
        self.ix = index.open_dir(str(gen))
        if procs > 1:
            # One segment per writer process, not merged at the end: merging
            # would cost as much single-process time as the writing saved.
            self.writer = _OrphanSafeMpWriter(self.ix, procs=procs, multisegment=True, limitmb=256, timeout=5.0)
        else:
            self.writer = self.ix.writer(timeout=5.0, limitmb=256)
        self.writer.schema = self.ix.schema
        self.added = 0
        self.deleted = 0

    def replace(self, doc: DocumentRecord) -> None:
        if not self.new_generation:
            self.delete(doc.doc_id)
        for chunk in doc.chunks:
            self.writer.add_document(**_chunk_fields(doc, chunk))
            self.added += 1

    def delete(self, doc_id: str) -> None:
        self.deleted += self.writer.delete_by_term("doc_id", doc_id) or 0

    def commit(self) -> None:
        self.writer.commit()
        if self.new_generation:
            root = self.engine.root
            previous = current_generation(root)
            _switch(root, self.gen)
            _prune(root, {self.gen} | ({previous} if previous else set()))
        self.engine.reopen()

    def cancel(self) -> None:
        try:
            self.writer.cancel()
        finally:
            if self.new_generation:
                shutil.rmtree(self.gen, ignore_errors=True)


def _die_with_parent() -> None:
    """Ask Linux to kill this process when its parent dies. A writer process
    waits on a queue only its parent feeds; after a kill -9 of the indexer it
    would otherwise wait there forever."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() == 1:  # the parent died before the request took effect
            os._exit(1)
    except (OSError, AttributeError):
        pass  # not Linux: an orphan then ends when its queue breaks, or never


class _OrphanSafeTask(SubWriterTask):
    def run(self):
        _die_with_parent()
        super().run()


class _OrphanSafeMpWriter(MpWriter):
    def _new_task(self):
        task = _OrphanSafeTask(self.storage, self.indexname, self.jobqueue, self.resultqueue,
                               self.subargs, self.multisegment)
        self.tasks.append(task)
        task.start()
        return task


def _chunk_fields(doc: DocumentRecord, chunk: ChunkRecord) -> dict:
    return {
        "chunk_id": chunk.chunk_id,
        "doc_id": doc.doc_id,
        "source": doc.source,
        "corpus": doc.corpus,
        "content_hash": doc.content_hash,
        "title": doc.title,
        "section": " › ".join(chunk.section_path),
        "section_path": list(chunk.section_path),
        "text": chunk.text,
        "paragraph": chunk.paragraph,
        "part": chunk.part,
        "district": doc.district or "",
        "year": str(doc.year) if doc.year else "",
        "date": doc.date or "",
        "domain": ",".join(chunk.domains),
        "domain_set": ",".join(chunk.domains).encode("utf-8"),
    }


# ------------------------------------------------------------------ reading


class WhooshEngine:
    """Opened once per process and shared; searching is thread-safe.

    Each thread gets its own Whoosh searcher: a segment reader moves one file
    position through its postings (seek, then read), so two threads sharing
    one searcher read each other's blocks — at 292k paragraphs and 8 threads
    that showed as corrupt pickles and truncated zlib streams.
    """

    DEADLINE_EVERY = 1024  # matches between two looks at the clock while counting facets

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self._lock = threading.Lock()
        self._local = threading.local()
        self._epoch = 0  # bumped by reopen(): every thread then opens afresh
        self._open_searchers: set = set()

    # -- lifecycle
    def exists(self) -> bool:
        return current_generation(self.root) is not None

    def _pointer_state(self):
        try:
            st = (self.root / CURRENT).stat()
            return (st.st_mtime_ns, st.st_ino, st.st_size)
        except OSError:
            return None

    def reopen(self) -> None:
        with self._lock:
            self._epoch += 1

    def searcher(self):
        view = self._local
        stamp = self._pointer_state()
        current = getattr(view, "searcher", None)
        if current is not None and stamp == view.stamp and view.epoch == self._epoch:
            if current.up_to_date():
                return current
            if current.doc_count_all():  # an incremental commit into the live generation
                view.searcher = current.refresh()  # reuses, and closes, what it can
                self._replace(current, view.searcher, close_old=False)
                return view.searcher
            # an empty index has no segments for refresh() to reuse: open afresh
        gen = current_generation(self.root)
        if gen is None:
            raise IndexMissing(f"no index in {self.root}")
        fresh = index.open_dir(str(gen)).searcher()
        view.searcher, view.gen, view.stamp, view.epoch = fresh, gen, stamp, self._epoch
        self._replace(current, fresh)
        return fresh

    def _replace(self, old, new, close_old: bool = True) -> None:
        with self._lock:
            self._open_searchers.add(new)
            if old is not None and old is not new:
                self._open_searchers.discard(old)
                if close_old:
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

    # -- writing
    def update(self, rebuild: bool = False, procs: int = 1) -> WhooshUpdate:
        self.root.mkdir(parents=True, exist_ok=True)
        live = current_generation(self.root)
        if live is not None and not rebuild:
            return WhooshUpdate(self, live, new_generation=False, procs=procs)
        numbers = [int(_GEN.match(g.name).group(1)) for g in _generations(self.root)]
        gen = self.root / f"gen-{(max(numbers) + 1 if numbers else 1):06d}"
        gen.mkdir()
        index.create_in(str(gen), make_schema())
        (gen / "reform-search.json").write_text(json.dumps({"schema": SCHEMA_VERSION}), encoding="utf-8")
        # an abandoned generation from a killed run is not live: clear it away
        _prune(self.root, {gen} | ({live} if live else set()))
        return WhooshUpdate(self, gen, new_generation=True, procs=procs)

    # -- inventory
    def indexed_documents(self) -> dict[str, tuple[str, str]]:
        if not self.exists():
            return {}
        s = self.searcher()
        out = {}
        reader = s.reader()
        for raw in reader.lexicon("doc_id"):
            doc_id = raw.decode("utf-8") if isinstance(raw, bytes) else raw
            stored = s.document(doc_id=doc_id)
            if stored:
                out[doc_id] = (os.path.join(stored["corpus"], stored["source"]), stored["content_hash"])
        return out

    def stats(self) -> dict:
        s = self.searcher()
        return {"paragraphs": s.doc_count(), "documents": len(list(s.reader().lexicon("doc_id"))),
                "generation": self._gen.name if self._gen else None}

    def facet_values(self, facet: str) -> list[str]:
        """Every value of a facet in the index (for a note that lists them)."""
        s = self.searcher()
        if not s.doc_count():
            return []
        return sorted(_text(v) for v in s.reader().lexicon(facet) if v)

    # -- terms
    def has_term(self, word: str) -> bool:
        s = self.searcher()
        return s.doc_frequency("text", word) > 0 or s.doc_frequency("section", word) > 0

    def similar_terms(self, word: str, limit: int = 3) -> list[str]:
        """Indexed words one character away, keeping the first character: an
        edit automaton over a Chinese term list costs ~100× more without that
        anchor (20 ms vs 0.2 ms on the seed index, far more on a big one)."""
        if len(word) < 2:
            return []
        s = self.searcher()
        reader = s.reader()
        found = []
        for term in reader.terms_within("text", word, 1, prefix=1):
            if term != word and len(term) == len(word):
                found.append((reader.doc_frequency("text", term), term))
        found.sort(reverse=True)
        return [t for _, t in found[:limit]]

    # -- searching
    def _compile(self, node):
        if isinstance(node, (Term, Phrase)) or (isinstance(node, AllOf) and node.sequence and node.items
                                                and not node.exclude):
            # a word, a phrase or a typed run: in the paragraph or in its heading
            return wq.Or([_in_field(node, "text"), _in_field(node, "section")])
        if isinstance(node, AnyOf):
            return wq.Or([self._compile(i) for i in node.items])
        if isinstance(node, AllOf):
            positive = [self._compile(i) for i in node.items]
            if not positive:
                q = wq.Every()  # only exclusions: everything but them
            else:
                q = wq.And(positive) if len(positive) > 1 else positive[0]
            if node.exclude:
                q = wq.AndNot(q, wq.Or([self._compile(i) for i in node.exclude]))
            return q
        raise TypeError(node)

    def _ranking_boost(self, node: AllOf):
        """Optional extras that reorder, never filter: the words in a title, and
        the query's consecutive words appearing as one sequence."""
        words = [i.text for i in node.items if isinstance(i, Term)]
        runs = [[t.text for t in i.items] for i in node.items
                if isinstance(i, AllOf) and not i.sequence and i.items and all(isinstance(t, Term) for t in i.items)]
        extras = []
        title_words = words + [w for run in runs for w in run]
        if title_words:
            extras.append(wq.Or([wq.Term("title", w, boost=0.3) for w in title_words]))
        for run in ([words] if len(words) >= 2 else []) + [r for r in runs if len(r) >= 2]:
            extras.append(wq.Phrase("text", run, boost=2.0))
        return extras

    def compile_query(self, node: AllOf | None):
        if node is None:
            return wq.Every()
        q = self._compile(node)
        extras = self._ranking_boost(node) if isinstance(node, AllOf) else []
        for extra in extras:
            q = wq.AndMaybe(q, extra)
        return q

    def search(self, request: SearchRequest) -> EngineResult:
        s = self.searcher()
        deadline = time.monotonic() + request.time_limit if request.time_limit else None
        q = self.compile_query(request.query)
        f = request.filters
        timed_out: list[str] = []
        counts = {"district": {}, "year": {}, "domain": {}}
        if not s.doc_count():
            # an index of nothing (every file skipped) has no columns to read
            return EngineResult(total=0, hits=[], facets=counts)

        # One pass over every match: the total and every facet's counts.
        reader = s.reader()
        dcol = reader.column_reader("district")
        ycol = reader.column_reader("year")
        mcol = reader.column_reader("domain_set")
        want_d = set(f.district)
        want_m = set(f.domain)
        want_y = f.year

        def year_ok(y: str) -> bool:
            if not want_y:
                return True
            if not y:
                return False
            yi = int(y)
            return any(lo <= yi <= hi for lo, hi in want_y)

        total = 0
        filtered = not f.is_empty()
        passing: set[int] = set()  # the matches every filter lets through
        match_q = q
        while isinstance(match_q, wq.AndMaybe):
            match_q = match_q.a
        n = 0
        for docnum in s.docs_for_query(match_q):
            n += 1
            if deadline and n % self.DEADLINE_EVERY == 0 and time.monotonic() > deadline:
                timed_out = ["facets"]
                break
            d = _text(dcol[docnum])
            y = _text(ycol[docnum])
            m = _text(mcol[docnum])
            doms = m.split(",") if m else []
            ok_d = not want_d or d in want_d
            ok_y = year_ok(y)
            ok_m = not want_m or bool(want_m.intersection(doms))
            if ok_d and ok_y and ok_m:
                total += 1
                if filtered:
                    passing.add(docnum)
            if not request.facets:
                continue
            if ok_y and ok_m and d:
                counts["district"][d] = counts["district"].get(d, 0) + 1
            if ok_d and ok_m and y:
                counts["year"][y] = counts["year"].get(y, 0) + 1
            if ok_d and ok_y:
                for dom in doms:
                    counts["domain"][dom] = counts["domain"].get(dom, 0) + 1

        page = max(1, request.page)
        limit = max(0, request.limit)
        hits: list[Hit] = []
        # A timed-out count is only a lower bound: then fetch the page anyway.
        if limit and (timed_out or (page - 1) * limit < total):
            # The pass above already knows which matches pass the filters, so
            # ranking gets them as a set; only after a timeout does a filter
            # query decide. Not search(filter=<query>): Whoosh then tests the
            # truth of a bit set for every match, a scan of the whole set each
            # time (6.7 s for 行政 + one district on 292k paragraphs).
            ranked_q, allow = q, None
            if filtered and not timed_out:
                allow = passing
            elif filtered:
                ranked_q = wq.And([q, wq.ConstantScoreQuery(_filter_query(f), 0.0)])
            sortedby = None
            if request.sort in ("date", "date-asc"):
                sortedby = [sorting.FunctionFacet(_date_key(reader, newest_first=request.sort == "date")),
                            sorting.ScoreFacet()]
            # what is left of the budget, but never less than a moment: a page
            # of the best hits found so far beats none
            ranking_deadline = max(deadline, time.monotonic() + 0.2) if deadline else None
            collector = _AllowedWithin(s.collector(limit=page * limit, sortedby=sortedby, terms=False),
                                       allow, ranking_deadline)
            s.search_with_collector(ranked_q, collector)
            if collector.timed_out:
                timed_out.append("ranking")
            results = collector.results()
            for hit in results[(page - 1) * limit:page * limit]:
                hits.append(Hit(dict(hit.fields()), _relevance(hit.score)))
        return EngineResult(total=total, hits=hits, facets=counts, timed_out=timed_out)

    def document(self, doc_id: str) -> DocumentRecord | None:
        s = self.searcher()
        results = s.search(wq.Term("doc_id", doc_id), limit=None, sortedby="paragraph")
        if not results:
            return None
        stored = [dict(h.fields()) for h in results]
        stored.sort(key=lambda x: (x["paragraph"], x.get("part", 1)))
        first = stored[0]
        doc = DocumentRecord(
            doc_id=doc_id,
            source=first["source"],
            corpus=first["corpus"],
            title=first["title"],
            date=first["date"] or None,
            year=int(first["year"]) if first["year"] else None,
            district=first["district"] or None,
            content_hash=first["content_hash"],
        )
        for x in stored:
            doc.chunks.append(ChunkRecord(x["chunk_id"], x["paragraph"], x.get("part", 1), x["text"],
                                          list(x.get("section_path") or []),
                                          [d for d in x["domain"].split(",") if d]))
        return doc


class _AllowedWithin(WrappingCollector):
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


def _date_key(reader, newest_first: bool):
    """The sort key of a paragraph's document date: a known day by its day; a
    document with a year but no day by its year, after that year's dated
    documents when newest first (before them oldest first); no year at all
    last in both orders."""
    dates = reader.column_reader("date")
    years = reader.column_reader("year")
    missing = 1 if newest_first else 10 ** 9

    def key(_searcher, docnum):
        date = _text(dates[docnum])
        if date:
            value = int(date[:4] + date[5:7] + date[8:10])
        else:
            year = _text(years[docnum])
            if not year:
                return missing
            value = int(year) * 10000
        return -value if newest_first else value

    return key


def _text(value) -> str:
    if value is None:
        return ""
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _sequence(items, field: str):
    """Items next to each other in one field: a plain phrase when every item
    is one word, else a span sequence (an item may be an alias OR-group)."""
    if all(isinstance(i, Term) for i in items):
        return wq.Phrase(field, [i.text for i in items])
    return wq.Sequence([_in_field(i, field) for i in items])


def _in_field(node, field: str):
    if isinstance(node, Term):
        return wq.Term(field, node.text)
    if isinstance(node, Phrase):
        return wq.Phrase(field, list(node.words)) if len(node.words) > 1 else wq.Term(field, node.words[0])
    if isinstance(node, AnyOf):
        return wq.Or([_in_field(i, field) for i in node.items])
    if isinstance(node, AllOf):
        return _sequence(node.items, field)
    raise TypeError(node)


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
    if not parts:
        return None
    return wq.And(parts) if len(parts) > 1 else parts[0]
