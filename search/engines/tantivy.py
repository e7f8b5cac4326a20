"""tantivy, the native embedded engine (``search-index --engine tantivy``).

The only module importing tantivy. It indexes the library's own tokens
(``search.analysis``, positions and original offsets) as pre-tokenized text,
so a query means here exactly what it means to Whoosh: the same words, the
same positions, sub-words at the position of their word. Facets are tantivy
aggregations over fast fields, each facet's own filter left out.

Generations, ``CURRENT`` and the lock are ``search.storage``'s; a rebuild
fills a new generation that goes live only when it holds every paragraph.
"""
from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import threading
import time
from pathlib import Path

import tantivy

from .. import analysis, ranking, storage
from ..text import one_line
from ..engine import (
    DOCUMENT_BUCKETS, FACETS, ChunkRecord, day_number, day_range, document_fields, document_from_fields, DocumentRecord,
    empty_counts, EngineResult, Filters, Hit, issuer_values, reading_order, SearchRequest,
)
from .base import CountedUpdate, FolderEngine, QueryCompiler, document_of
from ..errors import IndexIncomplete

SCHEMA_VERSION = 7  # 2: year_n, the token store; 3: the text in the record; 4: the reading order; 5: chars; 6: lead;
# 7: issuer, kind, day_n
HEAP_BYTES = 1024 * 1024 * 1024
WRITER_THREADS = 1
GC_HEAP_BYTES = 16 * 1024 * 1024  # a writer opened only to collect garbage
LOW_DISK_BYTES = 64 * 1024 * 1024  # a writer failing with less free than this: the disk is full
FACET_SIZE = 100_000  # every value of a facet (districts, years, ten domains)
_DOC_TERMS = {"terms": {"field": "doc_id", "size": DOCUMENT_BUCKETS}}  # documents, each with its paragraphs


def make_schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    raw = {"tokenizer_name": "raw"}
    sb.add_text_field("chunk_id", stored=False, **raw, index_option="basic")
    sb.add_text_field("doc_id", stored=False, fast=True, **raw, index_option="basic")
    sb.add_integer_field("first", indexed=True)  # 1 on a document's first chunk: one row per document
    # our tokens, pre-tokenized; not stored (tantivy would store every token
    # again, as JSON): the text is in the record
    sb.add_text_field("text", stored=False, **raw)
    sb.add_text_field("section", stored=False, **raw)
    # the text's exact characters, a pair per position (quotes): split natively
    # at the spaces analysis.char_string puts between them; never scored
    sb.add_text_field("chars", stored=False, tokenizer_name="whitespace", index_option="position")
    # the title only ranks (no phrases): our tokens joined by spaces, split
    # again natively — the same terms and counts, one string to hand over
    sb.add_text_field("title", stored=False, tokenizer_name="whitespace", index_option="freq")
    # what a title's word finds (ranking.lead_pads): the title on a document's
    # first chunk, as many PADs on the others
    sb.add_text_field("lead", stored=False, tokenizer_name="whitespace", index_option="freq")
    for facet in FACETS:
        sb.add_text_field(facet, stored=False, fast=True, **raw, index_option="basic")
    sb.add_integer_field("year_n", indexed=True, fast=True)  # year filters as ranges (0: none)
    sb.add_integer_field("day_n", indexed=True, fast=True)  # date spans as ranges (engine.day_number; 0: none)
    sb.add_integer_field("paragraph", indexed=True, fast=True)
    # engine.reading_order, newest and oldest first: both sorted ascending
    sb.add_text_field("order_newest", stored=False, fast=True, **raw, index_option="basic")
    sb.add_text_field("order_oldest", stored=False, fast=True, **raw, index_option="basic")
    sb.add_bytes_field("record", stored=True, indexed=False)  # everything a hit shows, as JSON
    sb.add_bytes_field("tokens", stored=True, indexed=False)  # the text's tokens, for highlighting
    sb.add_bytes_field("section_tokens", stored=True, indexed=False)  # and its heading path's
    return sb.build()


def _pretokenized(text: str, tokens, cache: dict | None = None) -> tantivy.PreTokenizedString:
    """``text`` with the tokens the library analysed it into."""
    if cache is not None and text in cache:
        return cache[text]
    value = tantivy.PreTokenizedString(text, list(map(tantivy.Token, *tokens.columns())))
    if cache is not None:
        cache[text] = value
    return value


# ------------------------------------------------------------------ writing


class TantivyUpdate(CountedUpdate):
    """One run's changes in one tantivy commit, at the end."""

    def __init__(self, engine: "TantivyEngine", gen: Path, new_generation: bool, procs: int = 1):
        super().__init__(engine, gen, new_generation)
        self.ix = tantivy.Index(make_schema(), path=str(gen), reuse=True)
        self.ix.reload()
        self.committed = self.ix.searcher()  # what the index held when the run began (it commits once, at the end)
        self.before = 0 if new_generation else self.committed.num_docs
        self.writer = self.ix.writer(heap_size=HEAP_BYTES, num_threads=WRITER_THREADS)
        self.cache: dict = {}  # a title or heading repeats on every paragraph it covers

    def _write(self, doc: DocumentRecord) -> None:
        if len(self.cache) > 4096:
            self.cache.clear()
        cache = self.cache
        # what every paragraph of the document repeats, made once
        about = _document_json(doc)
        title = " ".join(doc.title_tokens.words) if doc.title else None
        pads = ranking.lead_pads(title) if title else None
        year = str(doc.year) if doc.year else None
        issuers = issuer_values(doc)
        day = day_number(doc.date)
        add = self.writer.add_document
        with self._failures():
            for number, chunk in enumerate(doc.chunks):
                t = tantivy.Document()
                t.add_text("chunk_id", chunk.chunk_id)
                t.add_text("doc_id", doc.doc_id)
                t.add_integer("first", 1 if number == 0 else 0)
                t.add_pre_tokenized_text("text", _pretokenized(chunk.text, ranking.padded(chunk.tokens)))
                t.add_bytes("tokens", analysis.pack_tokens(chunk.tokens))
                t.add_text("chars", analysis.char_string(chunk.chars))
                if chunk.section_path:
                    section = chunk.section_text
                    t.add_pre_tokenized_text("section", _pretokenized(section, chunk.section_tokens, cache))
                    # packed once: the tokens keep their packed form
                    t.add_bytes("section_tokens", analysis.pack_tokens(chunk.section_tokens))
                if title:
                    t.add_text("title", title)
                    t.add_text("lead", title if number == 0 else pads)
                if doc.district:
                    t.add_text("district", doc.district)
                if year:
                    t.add_text("year", year)
                t.add_integer("year_n", doc.year or 0)
                for domain in chunk.domains:
                    t.add_text("domain", domain)
                for issuer in issuers:
                    t.add_text("issuer", issuer)
                if doc.kind:
                    t.add_text("kind", doc.kind)
                t.add_integer("day_n", day)
                t.add_integer("paragraph", chunk.paragraph)
                t.add_text("order_newest", reading_order(doc.date, doc.year, doc.doc_id, chunk.paragraph, chunk.part,
                                                         newest_first=True))
                t.add_text("order_oldest", reading_order(doc.date, doc.year, doc.doc_id, chunk.paragraph, chunk.part,
                                                         newest_first=False))
                t.add_bytes("record", _record_bytes(about, chunk))
                add(t)

    def _delete(self, doc_id: str) -> int:
        held = self.committed.search(_term("doc_id", doc_id), 1).count
        if held:
            self.writer.delete_documents_by_term("doc_id", doc_id)
        return held

    def _commit_writes(self) -> None:
        with self._failures():
            self.writer.commit()
            self.writer.wait_merging_threads()
        self.ix.reload()

    def _held(self) -> int:
        return self.ix.searcher().num_docs

    def _documents_held(self) -> int:
        return self.ix.searcher().search(_term("first", 1), 1).count

    def _rollback(self) -> None:
        self.writer.rollback()

    @contextlib.contextmanager
    def _failures(self):
        """tantivy reports a failed writer thread (an I/O error, most often a
        full disk) as a ValueError that names no cause: name it, in one line."""
        try:
            yield
        except ValueError as exc:
            free = shutil.disk_usage(self.engine.root).free
            if free < LOW_DISK_BYTES:
                raise OSError(errno.ENOSPC, f"disk full ({free // 2**20} MB free)") from None
            raise IndexIncomplete(f"the tantivy writer failed ({one_line(exc)})") from None


def _document_json(doc: DocumentRecord) -> str:
    return json.dumps(document_fields(doc), ensure_ascii=False, separators=(",", ":"))


def _record_bytes(document_json: str, chunk: ChunkRecord) -> bytes:
    """What a hit shows, as JSON: the document's part (``_document_json``,
    made once per document) and the chunk's."""
    part = json.dumps([chunk.chunk_id, chunk.paragraph, chunk.part, chunk.section_path, chunk.domains, chunk.text],
                      ensure_ascii=False, separators=(",", ":"))
    return f'{{"d":{document_json},"c":{part}}}'.encode("utf-8")


def _records(stored: tantivy.Document, tokens: bool = True) -> tuple[DocumentRecord, ChunkRecord]:
    r = json.loads(bytes(stored.get_first("record")).decode("utf-8"))
    chunk_id, paragraph, part, section_path, domains, text = r["c"]
    doc = document_from_fields(r["d"])
    chunk = ChunkRecord(chunk_id, paragraph, part, text, section_path, domains)
    if tokens:
        chunk.tokens = analysis.unpack_tokens(stored.get_first("tokens"))
        chunk.section_tokens = analysis.unpack_tokens(stored.get_first("section_tokens"))
    return doc, chunk


# ------------------------------------------------------------------ reading


_SCHEMA = None


def _schema() -> tantivy.Schema:
    global _SCHEMA
    if _SCHEMA is None:
        _SCHEMA = make_schema()
    return _SCHEMA


def _term(field: str, value):
    return tantivy.Query.term_query(_schema(), field, value)


def _any(queries: list):
    if len(queries) == 1:
        return queries[0]
    return tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in queries])


def _all(queries: list, excluded: list = ()):
    clauses = [(tantivy.Occur.Must, q) for q in queries]
    if not clauses:
        clauses = [(tantivy.Occur.Must, tantivy.Query.all_query())]
    clauses += [(tantivy.Occur.MustNot, q) for q in excluded]
    return clauses[0][1] if len(clauses) == 1 else tantivy.Query.boolean_query(clauses)


class TantivyQueries(QueryCompiler):
    """The query tree in tantivy's dialect (``base.QueryCompiler`` walks it)."""

    def term(self, field: str, word: str):
        return _term(field, word)

    def phrase(self, field: str, words: list[str]):
        return tantivy.Query.phrase_query(_schema(), field, words)

    def any_of(self, queries: list):
        return _any(queries)

    def all_of(self, queries: list, excluded: list):
        return _all(queries, excluded)

    def boosted(self, query, weight: float):
        return query if weight == 1.0 else tantivy.Query.boost_query(query, weight)

    def constant(self, query, score: float):
        return tantivy.Query.const_score_query(query, score)

    def exact(self, grams: list[str], words: list[str]):
        exact = self.phrase("chars", grams) if len(grams) > 1 else _term("chars", grams[0])
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, self.constant(exact, 0.0))]
                                           + [(tantivy.Occur.Should, _term("text", w)) for w in words])

    def ranked(self, query, extras: list):
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, query)] + [(tantivy.Occur.Should, e) for e in extras])

    def every(self):
        return tantivy.Query.all_query()


QUERIES = TantivyQueries()


def _filter_clauses(f: Filters) -> list:
    """Filters select and never score (a zero-score wrapper), so ranking
    does not depend on which filters are on. Terms and integer ranges, not
    term sets: a term set walks the whole term dictionary, the bulk of a
    filtered search's time."""
    out = []
    if f.district:
        out.append(_any([_term("district", d) for d in f.district]))
    if f.year:
        out.append(_any([tantivy.Query.range_query(_schema(), "year_n", tantivy.FieldType.Integer, lo, hi)
                         for lo, hi in f.year]))
    for facet in ("domain", "issuer", "kind"):
        values = getattr(f, facet)
        if values:
            out.append(_any([_term(facet, v) for v in values]))
    if f.date:
        out.append(tantivy.Query.range_query(_schema(), "day_n", tantivy.FieldType.Integer, *day_range(f.date)))
    out.extend(_term("title", w) for w in f.title)
    return [tantivy.Query.const_score_query(q, 0.0) for q in out]


def _with_filters(q, f: Filters):
    clauses = _filter_clauses(f)
    if not clauses:
        return q
    return tantivy.Query.boolean_query([(tantivy.Occur.Must, q)] + [(tantivy.Occur.Must, c) for c in clauses])


class TantivyEngine(FolderEngine):
    """Opened once per process and shared; tantivy's searchers are thread-safe."""

    NAME = "tantivy"
    SCHEMA_VERSION = SCHEMA_VERSION
    UPDATE = TantivyUpdate

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self._lock = threading.Lock()
        self._ix = None
        self._gen: Path | None = None
        self._stamp = None
        self._pointer = None

    # -- lifecycle (``FolderEngine``'s, with these hooks)
    @staticmethod
    def _open_index(gen: Path):
        if not (gen / "meta.json").is_file():
            raise ValueError("meta.json is missing")
        ix = tantivy.Index.open(str(gen))
        ix.reload()
        ix.searcher()
        return ix

    @staticmethod
    def _create_index(gen: Path) -> None:
        tantivy.Index(make_schema(), path=str(gen), reuse=False)

    def _collect_garbage(self, live: Path, ix) -> None:
        """tantivy's own garbage collection: the files its meta.json does not name."""
        writer = ix.writer(heap_size=GC_HEAP_BYTES, num_threads=1)
        writer.garbage_collect_files()
        writer.rollback()
        del writer

    def _state_stamp(self, gen: Path):
        try:
            st = (gen / "meta.json").stat()
            return st.st_mtime_ns, st.st_size
        except OSError:
            return None

    def reopen(self) -> None:
        with self._lock:
            self._ix = None

    def searcher(self):
        """The live generation's searcher: two stats a call; the pointer is
        read again only when it was switched (or the generation vanished)."""
        pointer = storage.pointer_stamp(self.root)
        with self._lock:
            stamp = self._state_stamp(self._gen) if self._gen is not None else None
            if self._ix is None or pointer is None or pointer != self._pointer or stamp is None:
                gen = storage.live_generation(self.root)  # IndexMissing / IndexDamaged with the reason
                stamp = self._state_stamp(gen)
                if self._ix is None or gen != self._gen:
                    self._ix, self._gen, self._stamp = self._open(gen), gen, stamp
                self._pointer = pointer
            if stamp != self._stamp:  # an incremental commit into the live generation
                self._ix.reload()
                self._stamp = stamp
            return self._ix.searcher()

    def close(self) -> None:
        self.reopen()

    # -- inventory
    def _documents_query(self):
        return _term("first", 1)

    def catalogue(self) -> list[DocumentRecord]:
        s = self.searcher()
        n = s.search(self._documents_query(), 1).count
        if not n:
            return []
        return [_records(s.doc(address), tokens=False)[0]
                for _, address in s.search(self._documents_query(), n, count=False).hits]

    def stats(self) -> dict:
        s = self.searcher()
        return {"paragraphs": s.num_docs, "documents": s.search(self._documents_query(), 1).count,
                "generation": self._gen.name if self._gen else None}

    def facet_values(self, facet: str) -> list[str]:
        s = self.searcher()
        if not s.num_docs:
            return []
        result = s.aggregate(tantivy.Query.all_query(), {"v": {"terms": {"field": facet, "size": FACET_SIZE}}})
        return sorted(b["key"] for b in result["v"]["buckets"])

    # -- terms
    def known_terms(self, words) -> set[str]:
        """The words a paragraph or a heading holds (one searcher for all)."""
        s = self.searcher()
        return {w for w in set(words) if s.doc_freq("text", w) > 0 or s.doc_freq("section", w) > 0}

    def term_counts(self, words) -> dict[str, int]:
        s = self.searcher()
        return {w: s.doc_freq("text", w) for w in set(words)}

    def _neighbours(self, word: str):
        return self.searcher().terms_with_prefix("text", word[0])

    # -- searching
    def search(self, request: SearchRequest) -> EngineResult:
        s = self.searcher()
        counts = empty_counts()
        if not s.num_docs:
            return EngineResult(total=0, hits=[], facets=counts)
        f = request.filters
        deadline = time.monotonic() + request.time_limit if request.time_limit else None
        timed_out: list[str] = []
        given_up: list[str] = []
        match = QUERIES.compile(request.query) if request.query is not None else tantivy.Query.all_query()
        filtered = _with_filters(match, f)
        # the page and the total in one pass: the ranking extras only add
        # score, so the ranked query matches exactly what ``filtered`` does
        page, limit = max(1, request.page), max(0, request.limit)
        offset = (page - 1) * limit
        rows: list[tuple[float, tuple[DocumentRecord, ChunkRecord]]] = []
        if limit:
            ranked = _with_filters(QUERIES.ranked_query(request.query, request.preferred), f)
            if request.sort in ("date", "date-asc"):
                newest = request.sort == "date"
                field = "order_newest" if newest else "order_oldest"
                found = s.search(ranked, limit, count=True, order_by_field=field, offset=offset, order=tantivy.Order.Asc)
                records = [_records(s.doc(address), not request.light) for _, address in found.hits]
                scores = self._scores(s, ranked, [chunk.chunk_id for _, chunk in records])
                rows = [(scores.get(chunk.chunk_id, 0.0), (doc, chunk)) for doc, chunk in records]
            else:
                found = s.search(ranked, limit, count=True, offset=offset)
                rows = [(float(score), _records(s.doc(address), not request.light)) for score, address in found.hits]
            total = found.count
        else:
            total = s.search(filtered, 1).count
        document_facets = None
        if request.facets and deadline and time.monotonic() > deadline:
            # tantivy cannot be stopped inside a call: the limit is looked at
            # between them, and facet counting is what gives way (the total
            # and the page stay exact)
            timed_out.append("facets")
        elif request.facets:
            document_facets = {} if request.documents else None
            try:
                self._facets(s, match, filtered, f, total, counts, document_facets)
            except ValueError:  # the doc_id buckets: more than one aggregation may make
                if document_facets is None:
                    raise
                document_facets = None
                given_up.append("document_facets")
                self._facets(s, match, filtered, f, total, counts, None)
        hits = [Hit(doc, chunk, score) for score, (doc, chunk) in rows]
        result = EngineResult(total=total, hits=hits, facets=counts, timed_out=timed_out, given_up=given_up)
        if document_facets is not None:
            result.document_facets = document_facets
        if request.documents and total:
            self._count_documents(s, match, f, result)
        if request.pivot:  # whatever the district and year selections let through
            self._pivot(s, match, f, request.documents, result)
        return result

    @staticmethod
    def _facets(s, match, filtered, f: Filters, total: int, counts: dict, documents: dict | None) -> None:
        """Each facet's paragraph counts, ignoring its own selection; facets
        without one share the filtered query and one aggregation. With
        ``documents`` (a dict to fill), each value's documents too: the
        doc_id buckets under it, counted, not estimated (tantivy's
        cardinality is off by 1-2% already at 4,000 documents)."""
        def terms(facet: str) -> dict:
            agg: dict = {"terms": {"field": facet, "size": FACET_SIZE}}
            if documents is not None:
                agg["aggs"] = {"docs": _DOC_TERMS}
            return agg

        def read(facet: str, buckets: list) -> None:
            counts[facet] = {b["key"]: b["doc_count"] for b in buckets}
            if documents is not None:
                documents[facet] = {b["key"]: len(b["docs"]["buckets"]) for b in buckets}

        if documents is not None:
            documents.update({facet: {} for facet in counts})
        plain = [facet for facet in counts if not getattr(f, facet)]
        if plain and total:
            found = s.aggregate(filtered, {facet: terms(facet) for facet in plain})
            for facet in plain:
                read(facet, found[facet]["buckets"])
        for facet in counts:
            if facet not in plain:
                found = s.aggregate(_with_filters(match, f.without(facet)), {facet: terms(facet)})
                read(facet, found[facet]["buckets"])

    @staticmethod
    def _pivot(s, match, f: Filters, documents: bool, result: EngineResult) -> None:
        """district × year in one aggregation (documents as doc_id buckets)."""
        years = {"terms": {"field": "year", "size": FACET_SIZE}}
        if documents:
            years["aggs"] = {"docs": _DOC_TERMS}
        aggs = {"d": {"terms": {"field": "district", "size": FACET_SIZE}, "aggs": {"y": years}}}
        scope = _with_filters(match, f.without("district", "year"))
        try:
            found = s.aggregate(scope, aggs)
        except ValueError:  # more buckets than one aggregation may make
            result.given_up.append("pivot")
            return
        for b in found["d"]["buckets"]:
            if not b["y"]["buckets"]:  # its matches have no year
                continue
            result.pivot[b["key"]] = {y["key"]: y["doc_count"] for y in b["y"]["buckets"]}
            if documents:
                result.document_pivot[b["key"]] = {y["key"]: len(y["docs"]["buckets"]) for y in b["y"]["buckets"]}

    @staticmethod
    def _count_documents(s, match, f: Filters, result: EngineResult) -> None:
        """Matching paragraphs per document: a terms aggregation on doc_id."""
        found = s.aggregate(_with_filters(match, f), {"docs": _DOC_TERMS})
        result.documents = {b["key"]: b["doc_count"] for b in found["docs"]["buckets"]}
        result.document_total = len(result.documents)
        if found["docs"].get("sum_other_doc_count"):
            result.given_up.append("documents")  # more documents match than are counted

    @staticmethod
    def _scores(s, ranked, chunk_ids: list[str]) -> dict[str, float]:
        """Relevance scores of a date-sorted page (a sorted search reports its
        sort key instead): the same query, restricted to the page's chunks."""
        if not chunk_ids:
            return {}
        only = tantivy.Query.const_score_query(_any([_term("chunk_id", c) for c in chunk_ids]), 0.0)
        page = tantivy.Query.boolean_query([(tantivy.Occur.Must, ranked), (tantivy.Occur.Must, only)])
        out = {}
        for score, address in s.search(page, len(chunk_ids), count=False).hits:
            out[_records(s.doc(address))[1].chunk_id] = float(score)
        return out

    def document(self, doc_id: str, first: int = 1, last: int | None = None) -> DocumentRecord | None:
        s = self.searcher()
        if not s.num_docs:
            return None
        everything = _term("doc_id", doc_id)
        n = s.search(everything, 1).count
        if not n:
            return None
        stats = s.aggregate(everything, {"most": {"max": {"field": "paragraph"}}})
        count = int(stats["most"]["value"] or 0)
        block = tantivy.Query.range_query(_schema(), "paragraph", tantivy.FieldType.Integer, first,
                                          last if last is not None else count)
        wanted = tantivy.Query.boolean_query([(tantivy.Occur.Must, everything), (tantivy.Occur.Must, block)])
        m = s.search(wanted, 1).count
        hits = s.search(wanted, m, count=False).hits if m else s.search(everything, 1, count=False).hits
        return document_of([_records(s.doc(address)) for _, address in hits], count, bool(m))
