"""Whoosh, the first and default implementation of ``search.engine.Engine``.

Generations, ``CURRENT`` and the lock are ``search.storage``'s. Incremental
updates commit into the live generation (Whoosh commits are atomic: readers
keep the last table of contents until the next one is written); a rebuild
fills a new generation that goes live only when complete.
"""
from __future__ import annotations

import contextlib
import functools
import os
import pickle
import queue
import shutil
import struct
import threading
import time
import zlib
from array import array
from dataclasses import dataclass, field
from multiprocessing import Queue as MpQueue
from pathlib import Path
from typing import Iterator

from whoosh import columns, fields, index, query as wq, scoring, sorting
from whoosh.analysis import SpaceSeparatedTokenizer
from whoosh.analysis import Token as WToken
from whoosh.analysis import Tokenizer as WTokenizer
from whoosh.collectors import WrappingCollector
from whoosh import matching
from whoosh.matching import ReadTooFar, WrappingMatcher
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.util import random_name
from whoosh.writing import SegmentWriter

from . import analysis, ranking, storage, whoosh_files
from .text import one_line
from .lifetime import die_with_parent, how_it_ended
from .engine import (
    AllOf,
    AnyOf,
    ChunkRecord,
    DOCUMENT_BUCKETS,
    DocumentRecord,
    EngineResult,
    Filters,
    Hit,
    PREFERRED_BONUS,
    Phrase,
    SEQUENCE_BOOST,
    TITLE_MATCH_WEIGHT,
    TITLE_BOOST,
    SearchRequest,
    Term,
    reading_order,
    word_sequences,
    ranking_extras,
    exact_chars_of,
    scoring_words,
    empty_counts,
)
from .errors import IndexDamaged, IndexFromAnotherVersion, IndexIncomplete, IndexMissing

# 2: the ranked fields' one-byte lengths (search.ranking); 3: a document's url;
# 4: where its date came from, and doc_id and part as columns (the reading order);
# 5: the text's exact characters (quotes; an older index matches a quote by its words)
#    and the first paragraphs' mark
whoosh_files.install()  # segments read in place: no copy of the index per searcher

SCHEMA_VERSION = 6
READABLE_SCHEMAS = (2, 3, 4, 5, 6)  # an older index reads (without what came later) until it is rebuilt
PASSES_KEPT = 2  # per searcher (one per thread): the last questions' totals and filtered sets
LATEST_FIELDS = frozenset({"chars", "first", "lead"})  # schema 5's and 6's, which a query uses when the index has them
RANKED_FIELDS = ("text", "section", "title", "lead")  # each has a column of its lengths: "<field>_norm"
# lead (ranking.lead_pads) is the title on a first paragraph: it is scored with
# the title's lengths, column and average, written once
LENGTHS_OF = {"lead": "title"}



class AnalysedText(str):
    """A text that carries the library's tokens for it
    (``search.analysis.analyse_document``): the tokenizer below hands them to
    Whoosh as they are, in this process or in a writer process (it pickles)."""

    __slots__ = ("tokens",)

    def __new__(cls, text: str, tokens):
        value = super().__new__(cls, text)
        value.tokens = tokens
        return value

    def __reduce__(self):
        return AnalysedText, (str(self), self.tokens)


class WhooshChineseTokenizer(WTokenizer):
    """Adapts ``search.analysis`` to Whoosh's tokenizer protocol, unchanged:
    the tokens an ``AnalysedText`` carries, else the analyzer's own."""

    CACHE_CHARS = 64  # a title or heading repeats on every paragraph it covers
    CACHE_ENTRIES = 4096

    def __init__(self):
        self._analyzer = analysis.index_analyzer()
        self._cache: dict[str, list[tuple[str, int, int, int]]] = {}

    def _tokens(self, value: str) -> list[tuple[str, int, int, int]] | Iterator:
        given = getattr(value, "tokens", None)
        if given is not None:
            return given
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
        doc_id=fields.ID(stored=True, sortable=True),  # a column from schema 4
        source=fields.STORED(),
        corpus=fields.STORED(),
        content_hash=fields.STORED(),
        url=fields.STORED(),  # schema 3
        date_source=fields.STORED(),  # schema 4
        title=fields.TEXT(analyzer=ana, stored=True, phrase=False),
        section=fields.TEXT(analyzer=ana, stored=True),
        section_path=fields.STORED(),
        text=fields.TEXT(analyzer=ana, stored=True),
        # analysis.char_string: a pair of characters per position, never scored
        chars=fields.TEXT(analyzer=SpaceSeparatedTokenizer(), stored=False),
        first=fields.ID(stored=False),  # "1" on a document's first paragraph (schema 5)
        lead=fields.TEXT(analyzer=ana, phrase=False),  # the title, on a document's first paragraph (schema 6)
        tokens=fields.STORED(),  # the text's tokens, for highlighting without the segmenter
        section_tokens=fields.STORED(),  # and its heading path's
        paragraph=fields.NUMERIC(int, stored=True, sortable=True),
        part=fields.NUMERIC(int, stored=True, sortable=True),  # a column from schema 4
        district=fields.ID(stored=True, sortable=columns.RefBytesColumn()),
        year=fields.ID(stored=True, sortable=columns.RefBytesColumn()),
        date=fields.ID(stored=True, sortable=columns.RefBytesColumn()),
        domain=fields.KEYWORD(stored=True, commas=True, lowercase=False),
        domain_set=fields.COLUMN(columns.RefBytesColumn()),
        text_norm=fields.COLUMN(columns.NumericColumn("B")),
        section_norm=fields.COLUMN(columns.NumericColumn("B")),
        title_norm=fields.COLUMN(columns.NumericColumn("B")),
    )


# ------------------------------------------------------------------ writing


class WhooshUpdate:
    """One indexer run's changes, committed at once. Before the table of
    contents that makes them visible is written, the segments are counted:
    they must hold exactly what the index held, less what was deleted, plus
    every paragraph this run gave the writer — otherwise nothing goes live."""

    def __init__(self, engine: "WhooshEngine", gen: Path, new_generation: bool, procs: int = 1):
        self.engine = engine
        self.gen = gen
        self.new_generation = new_generation
        self.ix = index.open_dir(str(gen))
        self.before = 0 if new_generation else self.ix.doc_count()
        if procs > 1:
            # One segment per writer process, not merged at the end: merging
            # would cost as much single-process time as the writing saved.
            self.writer = _CheckedMpWriter(self.ix, procs=procs, multisegment=True, limitmb=256, timeout=5.0)
        else:
            self.writer = _CheckedSegmentWriter(self.ix, timeout=5.0, limitmb=256)
        self.writer.schema = self.ix.schema
        self.added = 0
        self.deleted = 0
        self.documents: set[str] = set()

    def replace(self, doc: DocumentRecord) -> None:
        analysis.ensure_analysed(doc)
        if not self.new_generation:
            self.delete(doc.doc_id)
        older = [name for name in ("url", "date_source", "chars", "first", "lead")
                 if name not in self.ix.schema]  # updated in place
        for chunk in doc.chunks:
            row = _chunk_fields(doc, chunk)
            for name in older:
                del row[name]
            self.writer.add_document(**row)
            self.added += 1
        self.documents.add(doc.doc_id)

    def delete(self, doc_id: str) -> None:
        self.deleted += self.writer.delete_by_term("doc_id", doc_id) or 0

    def commit(self) -> None:
        self.writer.expected = self.before - self.deleted + self.added
        self.writer.commit()
        if self.new_generation:
            self._verify_documents()
            storage.switch(self.engine.root, self.gen)
            storage.clean(self.engine.root)
        self.engine.reopen()

    def _verify_documents(self) -> None:
        """Every document the run wrote is in the new generation (the
        paragraph count was checked before the commit)."""
        with index.open_dir(str(self.gen)).searcher() as s:
            there = {_text(t) for t in s.reader().lexicon("doc_id")} if s.doc_count() else set()
        missing = self.documents - there
        if missing:
            storage.discard(self.gen)
            raise IndexIncomplete(f"the new index lacks {len(missing)} of the {len(self.documents)} documents written")

    def cancel(self) -> None:
        try:
            if not self.writer.is_closed:
                self.writer.cancel()
        finally:
            if self.new_generation:
                storage.discard(self.gen)


class _CountedCommit:
    """Refuses to write a table of contents whose segments do not hold the
    number of paragraphs expected (``expected``; None: no check)."""

    expected: int | None = None

    def _commit_toc(self, segments):
        held = sum(seg.doc_count() for seg in segments)
        if self.expected is not None and held != self.expected:
            raise IndexIncomplete(f"the index would hold {held} paragraphs, but {self.expected} were written")
        super()._commit_toc(segments)

    def cancel(self):
        """Also after a commit that failed half-way (segment files already
        closed): the lock and the temporary files must go all the same."""
        try:
            super().cancel()
        except Exception:
            if not self.is_closed:
                with contextlib.suppress(Exception):
                    self._finish()


class _CheckedSegmentWriter(_CountedCommit, SegmentWriter):
    pass


class _ReportingTask(SubWriterTask):
    """A writer process that dies with its parent and, when it fails (a full
    disk), says why in one line on the error queue instead of a traceback."""

    errors = None  # a multiprocessing queue, set before start()

    def run(self):
        die_with_parent()
        try:
            super().run()
        except BaseException as exc:
            try:
                self.errors.put(one_line(exc), timeout=1)
                self.errors.close()
                self.errors.join_thread()  # the message leaves before the process does
            finally:
                os._exit(1)


class _CheckedMpWriter(_CountedCommit, MpWriter):
    """Whoosh's multiprocess writer, made to notice its processes dying.

    Whoosh's own waits forever on a full job queue when every writer process
    has died (a full disk, the OOM killer), and commits whatever segments came
    back when one died: a partial index reported as success. Here every wait
    looks at the processes, and a commit needs every one of them to have
    ended cleanly with its segment."""

    POLL = 0.5  # seconds between looks at the writer processes while waiting

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.errors = MpQueue()

    def _new_task(self):
        task = _ReportingTask(self.storage, self.indexname, self.jobqueue, self.resultqueue,
                              self.subargs, self.multisegment)
        task.errors = self.errors
        self.tasks.append(task)
        task.start()
        return task

    def _check_tasks(self) -> None:
        for task in self.tasks:
            if task.exitcode not in (None, 0):
                raise IndexIncomplete(self._death(task))

    def _death(self, task) -> str:
        try:
            reason = self.errors.get_nowait()
        except queue.Empty:
            reason = how_it_ended(task.exitcode)
        return f"a writer process failed ({reason})"

    def _put(self, item) -> None:
        while True:
            try:
                self.jobqueue.put(item, timeout=self.POLL)
                return
            except queue.Full:
                self._check_tasks()

    def _enqueue(self):
        self._check_tasks()
        filename = "%s.doclist" % random_name()
        with self.temp_storage().create_file(filename).raw_file() as f:
            for item in self.docbuffer:
                pickle.dump(item, f, 2)
        if len(self.tasks) < self.procs:
            self._new_task()
        self._put((filename, len(self.docbuffer)))
        self.docbuffer = []

    def _commit(self, mergetype, optimize, merge):
        if self.docbuffer:
            self._enqueue()
        for _ in self.tasks:
            self._put(None)
        finalsegments = self._merge_segments(mergetype, optimize, merge)
        results = []  # each process hands in its segment, then exits
        while len(results) < len(self.tasks):
            try:
                results.append(self.resultqueue.get(timeout=self.POLL))
            except queue.Empty:
                self._check_tasks()
                if all(t.exitcode is not None for t in self.tasks):
                    raise IndexIncomplete(f"only {len(results)} of {len(self.tasks)} writer processes "
                                          "handed in their part of the index") from None
        for task in self.tasks:
            task.join()
        self._check_tasks()
        finalsegments += [seg for _, _, seg in results]
        if self._added:
            finalsegments.append(self._finalize_segment())
        else:
            self._close_segment()
        self._commit_toc(finalsegments)
        self._finish()

    def cancel(self):
        for task in self.tasks:
            if task.is_alive():
                task.kill()  # MpWriter.cancel only flags Whoosh's own copy of the task
            task.join(timeout=5)
        super().cancel()


def _chunk_fields(doc: DocumentRecord, chunk: ChunkRecord) -> dict:
    """The stored values are plain strings (``_stored_*``); the indexed ones
    carry the library's tokens (``replace`` analysed the document first)."""
    section = chunk.section_text
    text_tokens = ranking.padded(chunk.tokens)  # what BM25 counts: the floor's pads included
    return {
        "chunk_id": chunk.chunk_id,
        "doc_id": doc.doc_id,
        "source": doc.source,
        "corpus": doc.corpus,
        "content_hash": doc.content_hash,
        "url": doc.url,
        "date_source": doc.date_source,
        "title": AnalysedText(doc.title, doc.title_tokens),
        "_stored_title": doc.title,
        "section": AnalysedText(section, chunk.section_tokens),
        "_stored_section": section,
        "section_path": list(chunk.section_path),
        "text": AnalysedText(chunk.text, text_tokens),
        "_stored_text": chunk.text,
        "chars": analysis.char_string(chunk.chars),
        "first": "1" if chunk is doc.chunks[0] else None,
        "lead": AnalysedText(doc.title, doc.title_tokens) if chunk is doc.chunks[0] and doc.title else None,
        "tokens": analysis.pack_tokens(chunk.tokens),  # opaque bytes: cheap to pass to a writer process
        "section_tokens": analysis.pack_tokens(chunk.section_tokens) if chunk.section_path else None,
        "paragraph": chunk.paragraph,
        "part": chunk.part,
        "district": doc.district or "",
        "year": str(doc.year) if doc.year else "",
        "date": doc.date or "",
        "domain": ",".join(chunk.domains),
        "domain_set": ",".join(chunk.domains).encode("utf-8"),
        "text_norm": ranking.fieldnorm_id(len(text_tokens)),
        "section_norm": ranking.fieldnorm_id(len(chunk.section_tokens) if chunk.section_path else 0),
        "title_norm": ranking.fieldnorm_id(len(doc.title_tokens) if doc.title else 0),
    }


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


class WhooshEngine(storage.FolderEngine):
    """Opened once per process and shared; searching is thread-safe.

    Each thread gets its own Whoosh searcher: a segment reader moves one file
    position through its postings (seek, then read), so two threads sharing
    one searcher read each other's blocks — at 292k paragraphs and 8 threads
    that showed as corrupt pickles and truncated zlib streams.
    """

    NAME = "whoosh"
    DEADLINE_EVERY = 1024  # matches between two looks at the clock while counting facets

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self._lock = threading.Lock()
        self._local = threading.local()
        self._epoch = 0  # bumped by reopen(): every thread then opens afresh
        self._open_searchers: set = set()

    # -- lifecycle
    def check(self) -> None:
        """Raise ``IndexMissing`` or ``IndexDamaged`` unless the index opens."""
        self._open(storage.live_generation(self.root)).close()

    @staticmethod
    def _open(gen: Path):
        schema = storage.generation_schema(gen)
        if schema is not None and schema not in READABLE_SCHEMAS:
            raise IndexFromAnotherVersion(f"{gen} was written by another version of reform-search (whoosh schema {schema}, "
                               f"this one reads {SCHEMA_VERSION})")
        try:
            return index.open_dir(str(gen))
        except Exception as exc:  # a lost or truncated table of contents, a bad pickle
            raise IndexDamaged(f"{gen} cannot be read ({type(exc).__name__}: {one_line(exc)})") from None

    def reopen(self) -> None:
        with self._lock:
            self._epoch += 1

    def searcher(self):
        view = self._local
        stamp = storage.pointer_stamp(self.root)
        current = getattr(view, "searcher", None)
        if current is not None and stamp == view.stamp and view.epoch == self._epoch:
            if current.up_to_date():
                return current
            if current.doc_count_all():  # an incremental commit into the live generation
                view.searcher = current.refresh()  # reuses, and closes, what it can
                self._replace(current, view.searcher, close_old=False)
                return view.searcher
            # an empty index has no segments for refresh() to reuse: open afresh
        gen = storage.live_generation(self.root)
        fresh = self._open(gen).searcher(weighting=LUCENE_BM25)
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
        """Changes to the live index, or (``rebuild``) a new generation that
        goes live when it commits. Call while holding ``storage.writing``."""
        if not rebuild:
            live = storage.live_generation(self.root)
            self._open(live).close()
            return WhooshUpdate(self, live, new_generation=False, procs=procs)
        self.root.mkdir(parents=True, exist_ok=True)
        gen = storage.new_generation(self.root)
        try:
            index.create_in(str(gen), make_schema())
            storage.write_meta(gen, self.NAME, SCHEMA_VERSION)
            return WhooshUpdate(self, gen, new_generation=True, procs=procs)
        except BaseException:
            storage.discard(gen)  # a full disk must not leave one more empty generation per run
            raise

    def clean_up(self) -> list[str]:
        """Remove what killed runs left: abandoned generations, half-written
        pointers, and in the live generation the segment files and temporary
        job files its table of contents does not name. Hold the lock."""
        removed = storage.clean(self.root)
        try:
            live = storage.live_generation(self.root)
            ix = self._open(live)
        except (IndexMissing, IndexDamaged):
            return removed
        toc = index.TOC.read(ix.storage, ix.indexname)
        before = set(os.listdir(live))
        index.clean_files(ix.storage, ix.indexname, toc.generation, toc.segments)
        for leftover in live.iterdir():
            if leftover.is_dir() and leftover.name.endswith(".tmp"):  # a writer's temporary storage
                shutil.rmtree(leftover, ignore_errors=True)
        removed += sorted(before - set(os.listdir(live)))
        return removed

    # -- inventory
    @_reading
    def indexed_documents(self) -> dict[str, tuple[str, str]]:
        s = self.searcher()
        if not s.doc_count():
            return {}
        out = {}
        reader = s.reader()
        for raw in reader.lexicon("doc_id"):
            doc_id = raw.decode("utf-8") if isinstance(raw, bytes) else raw
            stored = s.document(doc_id=doc_id)
            if stored:
                out[doc_id] = (os.path.join(stored["corpus"], stored["source"]), stored["content_hash"])
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
        if not s.doc_count():
            return []
        return sorted(_text(v) for v in s.reader().lexicon(facet) if v)

    # -- terms
    @_reading
    def known_terms(self, words) -> set[str]:
        """The words a paragraph or a heading holds (one searcher for all)."""
        s = self.searcher()
        return {w for w in set(words) if s.doc_frequency("text", w) > 0 or s.doc_frequency("section", w) > 0}

    @_reading
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
    def _compile(self, node, have: frozenset = LATEST_FIELDS):
        """``have``: the fields of schemas 5 and 6 the index has (an older
        index matches a quote by its words, and finds a title's word on a
        first paragraph by intersecting the title with its numbers)."""
        if isinstance(node, (Term, Phrase)) or (isinstance(node, AllOf) and node.sequence and node.items
                                                and not node.exclude):
            # a word, a phrase or a typed run: in the paragraph or in its heading
            fields = [_in_field(node, "text"), _in_field(node, "section")]
            if isinstance(node, Term):  # the document's title finds its first paragraph
                if "lead" in have:
                    fields.append(wq.Term("lead", node.text, boost=TITLE_MATCH_WEIGHT))
                else:
                    fields.append(wq.And([wq.Term("title", node.text, boost=TITLE_MATCH_WEIGHT),
                                          _Constant(_FIRST if "first" in have else _FIRST_PARAGRAPH, 0.0)]))
            grams = analysis.char_grams(exact_chars_of(node)) if "chars" in have else []
            if grams:  # where the exact characters stand (scoring nothing), scored by their words
                where = wq.Phrase("chars", grams) if len(grams) > 1 else wq.Term("chars", grams[0])
                words = scoring_words(node)
                found = _Constant(where, 0.0)
                fields.append(_AndMaybe(found, wq.Or([wq.Term("text", w) for w in words])) if words else found)
            return wq.Or(fields, boost=getattr(node, "weight", 1.0))
        if isinstance(node, AnyOf):
            return wq.Or([self._compile(i, have) for i in node.items])
        if isinstance(node, AllOf):
            positive = [self._compile(i, have) for i in node.items]
            if not positive:
                q = wq.Every()  # only exclusions: everything but them
            else:
                q = wq.And(positive) if len(positive) > 1 else positive[0]
            if node.exclude:
                q = wq.AndNot(q, wq.Or([self._compile(i, have) for i in node.exclude]))
            return q
        raise TypeError(node)

    def _ranking_boost(self, node: AllOf):
        wanted = ranking_extras(node)
        extras = []
        if wanted.title_words:
            extras.append(wq.Or([wq.Term("title", w, boost=TITLE_BOOST) for w in wanted.title_words]))
        extras += [_RankedPhrase("text", list(run), boost=SEQUENCE_BOOST) for run in wanted.sequences]
        return extras

    def compile_query(self, node: AllOf | None, preferred: tuple = (), have: frozenset = LATEST_FIELDS):
        if node is None:
            return wq.Every()
        q = self._compile(node, have)
        extras = self._ranking_boost(node) if isinstance(node, AllOf) else []
        extras += [_Constant(self._compile(p, have), PREFERRED_BONUS) for p in preferred]
        for extra in extras:
            q = _AndMaybe(q, extra)
        return q

    @_reading
    def search(self, request: SearchRequest) -> EngineResult:
        s = self.searcher()
        deadline = time.monotonic() + request.time_limit if request.time_limit else None
        q = self.compile_query(request.query, request.preferred, LATEST_FIELDS.intersection(s.schema.names()))
        f = request.filters
        if not s.doc_count():
            # an index of nothing (every file skipped) has no columns to read
            return EngineResult(total=0, hits=[], facets=empty_counts())
        # by document: a paragraph's document from a table built once per searcher
        doc_of = self._documents_of(s) if request.documents else None
        counted = _Counted()
        page, limit = max(1, request.page), max(0, request.limit)
        # a search that only ranks (the by-document walk's batches) reuses
        # the total and the passing set of the same question's last pass
        key = (request.query, tuple(f.district), tuple(f.year), tuple(f.domain))
        passes = s.__dict__.setdefault("_reform_passes", {})
        one_pass, timed_out = None, []
        if not (request.facets or request.documents or request.pivot) and key in passes:
            counted.total, counted.passing = passes[key]
        else:
            one_pass, timed_out = self._count(s, q, _tally(s.reader(), request, doc_of, counted), request,
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
        hits = [Hit(*_records(hit.fields(), not request.light), _relevance(hit.score))
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
            one_pass = _CountingTop(s.collector(limit=wanted, terms=False), tally, deadline, self.DEADLINE_EVERY)
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
            sortedby = [sorting.FunctionFacet(_reading_order(s.reader(), newest_first=request.sort == "date")),
                        sorting.ScoreFacet()]
        # what is left of the budget, but never less than a moment: a page
        # of the best hits found so far beats none
        ranking_deadline = max(deadline, time.monotonic() + 0.2) if deadline else None
        collector = _AllowedWithin(s.collector(limit=wanted, sortedby=sortedby, terms=False), allow, ranking_deadline)
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
                names.append(_text(term))
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
        stored = [s.stored_fields(d) for d in (wanted or docnums[:1])]
        stored.sort(key=lambda x: (x["paragraph"], x.get("part", 1)))
        doc = _records(stored[0])[0]
        doc.paragraph_count = count
        doc.chunks = [_records(x)[1] for x in stored] if wanted else []
        return doc


class _LuceneBM25(scoring.WeightingModel):
    """``search.ranking``'s BM25, the one tantivy and Lucene have natively.
    Whoosh's own BM25F differs in idf and in how it rounds field lengths, and
    the engines ranked the same paragraphs differently; this scores from the
    one-byte lengths the writer keeps in ``<field>_norm`` columns."""

    def scorer(self, searcher, fieldname, text, qf=1):
        norms = _norms(searcher, fieldname)
        if norms is None:  # a field that is never ranked (ids, filters), or an index without norms
            return scoring.BM25F().scorer(searcher, fieldname, text, qf)
        parent = searcher.get_parent()
        count, factors = _field_stats(parent, fieldname)
        weight = ranking.weight(ranking.idf(parent.doc_frequency(fieldname, text), count))
        return _TermScorer(weight, norms, factors, searcher.term_info(fieldname, text).max_weight())


LUCENE_BM25 = _LuceneBM25()


def _norms(searcher, fieldname: str):
    """A segment's one-byte lengths of a ranked field, read once per searcher."""
    cache = searcher.__dict__.setdefault("_reform_norms", {})
    if fieldname not in cache:
        column = f"{LENGTHS_OF.get(fieldname, fieldname)}_norm"
        reader = searcher.reader()
        cache[fieldname] = (bytes(reader.column_reader(column))
                            if fieldname in RANKED_FIELDS and reader.has_column(column) else None)
    return cache[fieldname]


def _field_stats(parent, fieldname: str) -> tuple[int, list[float]]:
    """N (deleted paragraphs not yet merged away included, as Lucene counts)
    and the length factor of each norm, once per searcher."""
    cache = parent.__dict__.setdefault("_reform_stats", {})
    if fieldname not in cache:
        count = parent.doc_count_all()
        lengths = parent.field_length(LENGTHS_OF.get(fieldname, fieldname))
        cache[fieldname] = (count, ranking.length_factors(lengths / count if count else 0))
    return cache[fieldname]


class _TermScorer(scoring.BaseScorer):
    def __init__(self, weight: float, norms: bytes, factors: list[float], max_frequency: float):
        self.weight, self.norms, self.factors, self.max_frequency = weight, norms, factors, max_frequency

    def supports_block_quality(self):
        return True

    def score(self, matcher):
        return ranking.score(self.weight, matcher.weight(), self.factors[self.norms[matcher.id()]])

    # upper bounds for skipping blocks: the shortest length gives the most
    def max_quality(self):
        return ranking.score(self.weight, self.max_frequency, self.factors[0])

    def block_quality(self, matcher):
        return ranking.score(self.weight, matcher.block_max_weight(), self.factors[0])


class _AndMaybeMatcher(matching.AndMaybeMatcher):
    """The required part's matches, each with the optional part's score
    added where it matches too. Whoosh's own AndMaybe lost hits when the
    required part held a three-way union and the page was short (a page of 7
    missed hits a page of 100 held: its quality skipping and its
    replacements misjudge such a union), so this one never skips by quality
    and never replaces itself: the required part decides, and the optional
    part is only brought along to the same document."""

    def supports_block_quality(self):
        return False

    def replace(self, minquality=0):
        return self

    def _align(self):
        if self.a.is_active() and self.b.is_active() and self.b.id() < self.a.id():
            self.b.skip_to(self.a.id())

    def next(self):
        if not self.a.is_active():
            raise ReadTooFar
        changed = self.a.next()
        self._align()
        return changed

    def skip_to(self, id):
        if not self.a.is_active():
            raise ReadTooFar
        changed = self.a.skip_to(id)
        self._align()
        return changed


class _AndMaybe(wq.AndMaybe):
    matcherclass = _AndMaybeMatcher


class _ConstantMatcher(WrappingMatcher):
    def __init__(self, child, score: float):
        super().__init__(child)
        self._score = score

    def _replacement(self, newchild):
        return self.__class__(newchild, self._score)

    def supports_block_quality(self):
        return False

    def score(self):
        return self._score

    def max_quality(self):
        return self._score


class _Constant(wq.WrappingQuery):
    """The child's matches, each scored ``score``. Whoosh's
    ConstantScoreQuery hands back the child's own matcher (and its scores)
    whenever the search context needs the current posting, which put a
    NumericRange's 1.0 in place of a 0.0."""

    def __init__(self, child, score: float):
        super().__init__(child)
        self.score = score

    def _rewrap(self, child):
        return self.__class__(child, self.score)

    def matcher(self, searcher, context=None):
        m = self.child.matcher(searcher, context)
        return m if isinstance(m, matching.NullMatcherClass) else _ConstantMatcher(m, self.score)


class _RankedPhrase(wq.Phrase):
    """A phrase scored as tantivy and Lucene score one: a term whose
    frequency is the phrase's and whose idf is its words' sum."""

    def matcher(self, searcher, context=None):
        m = wq.Phrase(self.fieldname, self.words, slop=self.slop).matcher(searcher, context)
        norms = _norms(searcher, self.fieldname)
        if not m.is_active() or norms is None:
            return m
        parent = searcher.get_parent()
        count, factors = _field_stats(parent, self.fieldname)
        idf = sum(ranking.idf(parent.doc_frequency(self.fieldname, w), count) for w in self.words)
        return _PhraseScore(m, ranking.weight(idf, self.boost), norms, factors)


class _PhraseScore(WrappingMatcher):
    def __init__(self, child, weight: float, norms: bytes, factors: list[float]):
        super().__init__(child)
        self._weight, self._norms, self._factors = weight, norms, factors

    def _replacement(self, newchild):
        return _PhraseScore(newchild, self._weight, self._norms, self._factors)

    def copy(self):
        return _PhraseScore(self.child.copy(), self._weight, self._norms, self._factors)

    def supports_block_quality(self):
        return False

    def score(self):
        frequency = len(self.child.spans())
        return ranking.score(self._weight, frequency, self._factors[self._norms[self.child.id()]])


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


@dataclass
class _Counted:
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


def _tally(reader, request: SearchRequest, doc_of, counted: _Counted):
    """The function that counts one match into ``counted`` (from the facet
    columns) and says whether every filter lets it through. A closure, not a
    method: it runs once per match, and its names are cells, not attributes."""
    f = request.filters
    dcol = reader.column_reader("district")
    ycol = reader.column_reader("year")
    mcol = reader.column_reader("domain_set")
    want_d, want_m, want_y = set(f.district), set(f.domain), f.year
    filtered, facets, pivoting = not f.is_empty(), request.facets, request.pivot
    owners = doc_of[1] if doc_of is not None else None
    counts, doc_sets, per_doc, passing = counted.counts, counted.doc_sets, counted.per_doc, counted.passing
    pivot, pivot_docs = counted.pivot, counted.pivot_docs

    def year_ok(y: str) -> bool:
        if not want_y:
            return True
        if not y:
            return False
        yi = int(y)
        return any(lo <= yi <= hi for lo, hi in want_y)

    def tally(docnum: int) -> bool:
        d = _text(dcol[docnum])
        y = _text(ycol[docnum])
        m = _text(mcol[docnum])
        doms = m.split(",") if m else []
        ok_d = not want_d or d in want_d
        ok_y = year_ok(y)
        ok_m = not want_m or bool(want_m.intersection(doms))
        owner = owners[docnum] if owners is not None else None
        kept = ok_d and ok_y and ok_m
        if kept:
            counted.total += 1
            if filtered:
                passing.add(docnum)
            if owner is not None:
                per_doc[owner] = per_doc.get(owner, 0) + 1
        if pivoting and ok_m and d and y:
            row = pivot.setdefault(d, {})
            row[y] = row.get(y, 0) + 1
            if owner is not None:
                pivot_docs.setdefault((d, y), set()).add(owner)
        if facets:
            if ok_y and ok_m and d:
                counts["district"][d] = counts["district"].get(d, 0) + 1
                if owner is not None:
                    doc_sets["district"].setdefault(d, set()).add(owner)
            if ok_d and ok_m and y:
                counts["year"][y] = counts["year"].get(y, 0) + 1
                if owner is not None:
                    doc_sets["year"].setdefault(y, set()).add(owner)
            if ok_d and ok_y:
                for dom in doms:
                    counts["domain"][dom] = counts["domain"].get(dom, 0) + 1
                    if owner is not None:
                        doc_sets["domain"].setdefault(dom, set()).add(owner)
        return kept

    return tally


class _CountingTop(WrappingCollector):
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


def _reading_order(reader, newest_first: bool):
    """``engine.reading_order`` of a paragraph, from the columns (an index
    older than schema 4 keeps doc_id and part only as stored fields)."""
    dates = reader.column_reader("date")
    years = reader.column_reader("year")
    paragraphs = reader.column_reader("paragraph")
    if reader.has_column("doc_id") and reader.has_column("part"):
        doc_ids, parts = reader.column_reader("doc_id"), reader.column_reader("part")

        def place(docnum):
            return _text(doc_ids[docnum]), parts[docnum]
    else:
        def place(docnum):
            stored = reader.stored_fields(docnum)
            return stored["doc_id"], stored.get("part", 1)

    def key(_searcher, docnum):
        doc_id, part = place(docnum)
        return reading_order(_text(dates[docnum]), _text(years[docnum]), doc_id, paragraphs[docnum], part,
                             newest_first)

    return key


def _records(stored: dict, tokens: bool = True) -> tuple[DocumentRecord, ChunkRecord]:
    """A stored chunk as the contract's records: the one place that knows how
    ``_chunk_fields`` wrote them (comma-joined domains, years as text)."""
    doc = DocumentRecord(
        doc_id=stored["doc_id"],
        source=stored["source"],
        corpus=stored["corpus"],
        title=stored["title"],
        date=stored["date"] or None,
        year=int(stored["year"]) if stored["year"] else None,
        district=stored["district"] or None,
        content_hash=stored["content_hash"],
        url=stored.get("url"),
        date_source=stored.get("date_source"),
    )
    chunk = ChunkRecord(stored["chunk_id"], stored["paragraph"], stored.get("part", 1), stored["text"],
                        list(stored.get("section_path") or []), [d for d in stored["domain"].split(",") if d],
                        tokens=analysis.unpack_tokens(stored.get("tokens")) if tokens else None,
                        section_tokens=analysis.unpack_tokens(stored.get("section_tokens")) if tokens else None)
    return doc, chunk


def _text(value) -> str:
    if value is None:
        return ""
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


# a document's first chunk: paragraph 1, part 1 (part is indexed from schema 4;
# an older index's split first paragraph matches with every part)
# a document's first paragraph: one short posting list (schema 5); before it,
# terms of the numeric fields, skipped through beside the title's word (as
# numeric ranges, Whoosh listed every part-1 paragraph of the index for every
# word of a query: seconds at the bench's 364,000 paragraphs)
_FIRST = wq.Term("first", "1")
_FIRST_PARAGRAPH = wq.And([wq.Term("paragraph", 1), wq.Term("part", 1)])


def _in_field(node, field: str):
    if isinstance(node, Term):
        return wq.Term(field, node.text)
    if isinstance(node, AnyOf):
        return wq.Or([_in_field(i, field) for i in node.items])
    # a phrase or a typed run: the OR of its word sequences, as every engine
    phrases = [_RankedPhrase(field, words) if len(words) > 1 else wq.Term(field, words[0])
               for words in word_sequences(node)]
    return phrases[0] if len(phrases) == 1 else wq.Or(phrases)


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
