"""What every engine shares, written once: a generation's life (open with a
schema check, create, clean up), a run's update that goes live only when the
index holds what was written, and the walk from the query tree to an
engine's query (``QueryCompiler``), each engine giving only its dialect.

Generations, ``CURRENT`` and the lock are ``search.storage``'s.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

from .. import analysis, storage
from ..engine import (
    PREFERRED_BONUS, SEQUENCE_BOOST, TITLE_BOOST, TITLE_MATCH_WEIGHT, AllOf, AnyOf, ChunkRecord, DocumentRecord,
    exact_chars_of, one_character_away, Phrase, ranking_extras, scoring_words, Term, word_sequences,
)
from ..errors import IndexDamaged, IndexFromAnotherVersion, IndexIncomplete, IndexMissing
from ..text import one_line


class FolderEngine:
    """An engine whose index lives in generation folders (a server engine
    keeps there where its index is). A subclass names itself (``NAME``),
    its schema, and how to open (``_open_index``) and create
    (``_create_index``) one generation; ``UPDATE`` is its run's class."""

    NAME = ""
    SCHEMA_VERSION = 0
    READABLE_SCHEMAS: tuple[int, ...] = ()  # besides SCHEMA_VERSION: older ones it still reads
    READS_UNRECORDED = True  # a generation from before schemas were recorded opens as it is
    UPDATE: type = object
    root: Path

    # -- state
    def check(self) -> None:
        """Raise ``IndexMissing`` or ``IndexDamaged`` unless the index opens."""
        self._release(self._open(storage.live_generation(self.root)))

    def state(self) -> str:
        """'missing', 'live' or 'damaged' (the live generation must open)."""
        try:
            self.check()
        except IndexMissing:
            return "missing"
        except IndexDamaged:
            return "damaged"
        return "live"

    def catalogue(self) -> list[DocumentRecord]:  # pragma: no cover - each engine defines it
        raise NotImplementedError

    def facet_documents(self, facet: str) -> dict[str, dict[str, int]]:
        """Each value of a paragraph's facet (``domain``) → the documents
        with paragraphs that have it, and how many: one filtered count per
        value (an engine with the postings at hand reads them instead)."""
        from ..engine import Filters, SearchRequest

        return {value: dict(self.search(SearchRequest(filters=Filters(**{facet: [value]}), limit=0, facets=False,
                                                      documents=True)).documents)
                for value in self.facet_values(facet)}

    def indexed_documents(self) -> dict[str, tuple[str, str]]:
        """What an incremental run compares the folder with: each document's
        file (corpus folder/source) and content hash."""
        return {d.doc_id: (os.path.join(d.corpus, d.source), d.content_hash) for d in self.catalogue()}

    def health(self) -> dict:
        """An engine without a server has nothing to say beyond ``stats``."""
        return {}

    def check_schema(self, gen: Path, schema: int | None) -> None:
        """``IndexFromAnotherVersion`` unless this version reads ``schema``
        (None: unrecorded, read as it is where ``READS_UNRECORDED``)."""
        if schema == self.SCHEMA_VERSION or schema in self.READABLE_SCHEMAS or (schema is None
                                                                                and self.READS_UNRECORDED):
            return
        raise IndexFromAnotherVersion(f"{gen} was written by another version of reform-search ({self.NAME} schema "
                                      f"{schema}, this one reads {self.SCHEMA_VERSION})")

    def _open(self, gen: Path):
        """The generation's index, or why not: another version's, or damaged."""
        self.check_schema(gen, storage.generation_schema(gen))
        try:
            return self._open_index(gen)
        except Exception as exc:  # a lost or truncated table of contents, a bad pickle, a missing file
            raise IndexDamaged(f"{gen} cannot be read ({type(exc).__name__}: {one_line(exc)})") from None

    def _open_index(self, gen: Path):  # pragma: no cover - each engine defines it
        raise NotImplementedError

    def _create_index(self, gen: Path) -> dict | None:  # pragma: no cover - each engine defines it
        """Make an empty index for ``gen``; return what the generation
        records besides its engine and schema (a server engine: where the
        index lives), which its run is given too."""
        raise NotImplementedError

    # -- writing
    def update(self, rebuild: bool = False, procs: int = 1):
        """Changes to the live generation, or (``rebuild``) a new generation
        that goes live when it commits. Call while holding ``storage.writing``."""
        if not rebuild:
            return self._update_live(procs)
        self.root.mkdir(parents=True, exist_ok=True)
        gen = storage.new_generation(self.root)
        try:
            recorded = self._create_index(gen) or {}
            storage.write_meta(gen, self.NAME, self.SCHEMA_VERSION, **recorded)
            return self.UPDATE(self, gen, new_generation=True, procs=procs, **recorded)
        except BaseException:
            storage.discard(gen)  # a full disk must not leave one more empty generation per run
            raise

    def _update_live(self, procs: int):
        """A run changing the live index in place."""
        live = storage.live_generation(self.root)
        self._release(self._open(live))
        return self.UPDATE(self, live, new_generation=False, procs=procs)

    def _release(self, opened) -> None:
        """What ``_open`` returned, no longer needed."""

    def clean_up(self) -> list[str]:
        """Remove what killed runs left: abandoned generations and half-written
        pointers (``storage.clean``), and in the live generation the files its
        index does not name (``_collect_garbage``). Hold the lock."""
        removed = storage.clean(self.root)
        try:
            live = storage.live_generation(self.root)
            opened = self._open(live)
        except (IndexMissing, IndexDamaged):
            return removed
        before = set(os.listdir(live))
        try:
            self._collect_garbage(live, opened)
        finally:
            self._release(opened)
        return removed + sorted(before - set(os.listdir(live)))

    def _collect_garbage(self, live: Path, opened) -> None:
        """Remove the live generation's files a killed writer left."""

    # -- reading
    def similar_terms(self, word: str, limit: int = 3) -> list[str]:
        """The most frequent indexed words of the same length one character
        away, keeping the first character (``_neighbours`` lists candidates:
        anchored on the first character, an engine reads a small part of
        its term list, not all of it as an edit automaton alone would)."""
        if len(word) < 2:
            return []
        found = sorted(((count, term) for term, count in self._neighbours(word) if one_character_away(term, word)),
                       reverse=True)
        return [term for _, term in found[:limit]]

    def _neighbours(self, word: str) -> Iterable[tuple[str, int]]:  # pragma: no cover
        """Candidates for ``similar_terms``: (indexed word, paragraphs holding it)."""
        raise NotImplementedError


def document_of(rows: list[tuple[DocumentRecord, ChunkRecord]], paragraph_count: int, in_range: bool) -> DocumentRecord:
    """``Engine.document``'s answer from the stored rows read: the chunks in
    reading order (``in_range`` False: no paragraph is in the range asked,
    and ``rows`` holds one only to know the document by)."""
    rows.sort(key=lambda row: (row[1].paragraph, row[1].part))
    doc = rows[0][0]
    doc.paragraph_count = paragraph_count
    doc.chunks = [chunk for _, chunk in rows] if in_range else []
    return doc


class CountedUpdate:
    """One indexer run's changes, live only when the index holds exactly
    what it held, less what was deleted, plus every paragraph the run wrote
    — and a new generation every document written — else nothing changes
    for readers. A subclass writes (``_write``, ``_delete``, ``_commit_writes``),
    counts (``_held``, ``_documents_held``) and drops (``_rollback``)."""

    def __init__(self, engine, gen: Path | None, new_generation: bool):
        self.engine = engine
        self.gen = gen
        self.new_generation = new_generation
        self.before = 0  # what the index held when the run began (the subclass counts it)
        self.added = 0
        self.deleted = 0
        self.documents: set[str] = set()

    @property
    def expected(self) -> int:
        return self.before - self.deleted + self.added

    def replace(self, doc: DocumentRecord) -> None:
        analysis.ensure_analysed(doc)
        if not self.new_generation:
            self.delete(doc.doc_id)
        self._write(doc)
        self.added += len(doc.chunks)
        self.documents.add(doc.doc_id)

    def delete(self, doc_id: str) -> None:
        self.deleted += self._delete(doc_id)

    def commit(self) -> None:
        self._commit_writes()
        held = self._held()
        if held != self.expected:
            self._abandon()
            raise IndexIncomplete(f"the index holds {held} paragraphs, but {self.expected} were written")
        if self.new_generation:
            there = self._documents_held()
            if there != len(self.documents):
                self._abandon()
                raise IndexIncomplete(f"the new index holds {there} of the {len(self.documents)} documents written")
            self._go_live()
            storage.switch(self.engine.root, self.gen)
            storage.clean(self.engine.root)
        storage.note_revision(self.engine.root)
        self.engine.reopen()

    def cancel(self) -> None:
        try:
            self._rollback()
        except Exception:
            pass
        finally:
            if self.new_generation:
                storage.discard(self.gen)

    def _abandon(self) -> None:
        """A new generation that failed its count is removed (an update of the
        live one was never made visible)."""
        if self.new_generation:
            self._drop()
            storage.discard(self.gen)

    # -- what each engine writes
    def _write(self, doc: DocumentRecord) -> None:  # pragma: no cover
        raise NotImplementedError

    def _delete(self, doc_id: str) -> int:  # pragma: no cover
        """Delete the document's paragraphs; how many there were."""
        raise NotImplementedError

    def _commit_writes(self) -> None:  # pragma: no cover
        raise NotImplementedError

    def _held(self) -> int:  # pragma: no cover
        raise NotImplementedError

    def _documents_held(self) -> int:  # pragma: no cover
        raise NotImplementedError

    def _rollback(self) -> None:  # pragma: no cover
        raise NotImplementedError

    def _go_live(self) -> None:
        """Before the switch: what else must hold (a server's replicas)."""

    def _drop(self) -> None:
        """A failed new generation's data outside its folder (a server's index)."""


class QueryCompiler:
    """The query tree (``search.engine``'s nodes) as one engine's query. The
    walk — what a word, a phrase, a typed run, a quote, a group, an
    exclusion and the ranking extras mean (search/CONTRACT.md) — is here;
    an engine gives the leaves and the joins of its dialect."""

    # -- the dialect
    def term(self, field: str, word: str):  # pragma: no cover
        raise NotImplementedError

    def phrase(self, field: str, words: list[str]):  # pragma: no cover
        """Two or more words at consecutive positions."""
        raise NotImplementedError

    def any_of(self, queries: list):  # pragma: no cover
        """At least one (one query: itself)."""
        raise NotImplementedError

    def all_of(self, queries: list, excluded: list):  # pragma: no cover
        """Every one of ``queries`` (none: every paragraph), none of ``excluded``."""
        raise NotImplementedError

    def boosted(self, query, weight: float):  # pragma: no cover
        """``query``'s score times ``weight`` (what matches is unchanged)."""
        raise NotImplementedError

    def constant(self, query, score: float):  # pragma: no cover
        """Matches as ``query``, scoring ``score``."""
        raise NotImplementedError

    def exact(self, grams: list[str], words: list[str]):  # pragma: no cover
        """Where the character pairs stand in ``chars`` (scoring nothing),
        scored by ``words`` in the text; None where the index has no chars."""
        raise NotImplementedError

    def title_match(self, word: str):
        """A title's word finding the document's first paragraph."""
        return self.boosted(self.term("lead", word), TITLE_MATCH_WEIGHT)

    def ranked(self, query, extras: list):  # pragma: no cover
        """``query``, its score raised by each of ``extras`` a paragraph also matches."""
        raise NotImplementedError

    def every(self):  # pragma: no cover
        raise NotImplementedError

    # -- the walk
    def compile(self, node):
        if isinstance(node, (Term, Phrase)) or (isinstance(node, AllOf) and node.sequence and node.items
                                                and not node.exclude):
            # a word, a phrase or a typed run: in the paragraph or in its heading
            fields = [self.in_field(node, "text"), self.in_field(node, "section")]
            if isinstance(node, Term):  # the document's title finds its first paragraph
                fields.append(self.title_match(node.text))
            grams = analysis.char_grams(exact_chars_of(node))
            if grams:
                exact = self.exact(grams, scoring_words(node))
                if exact is not None:
                    fields.append(exact)
            return self.boosted(self.any_of(fields), getattr(node, "weight", 1.0))
        if isinstance(node, AnyOf):
            return self.any_of([self.compile(i) for i in node.items])
        if isinstance(node, AllOf):
            return self.all_of([self.compile(i) for i in node.items], [self.compile(i) for i in node.exclude])
        raise TypeError(node)

    def in_field(self, node, field: str):
        """A word, phrase or run in one field: a run with aliases is the OR
        of its word sequences (``engine.word_sequences``), in every engine."""
        if isinstance(node, Term):
            return self.term(field, node.text)
        if isinstance(node, AnyOf):
            return self.any_of([self.in_field(i, field) for i in node.items])
        return self.any_of([self.phrase(field, words) if len(words) > 1 else self.term(field, words[0])
                            for words in word_sequences(node)])

    def title_extra(self, words: tuple[str, ...]):
        return self.boosted(self.any_of([self.term("title", w) for w in words]), TITLE_BOOST)

    def sequence_extra(self, words: list[str]):
        return self.boosted(self.phrase("text", words), SEQUENCE_BOOST)

    def preferred_extra(self, node):
        return self.constant(self.compile(node), PREFERRED_BONUS)

    def ranked_query(self, node: AllOf | None, preferred: tuple = ()):
        """The query plus what reorders and never filters: the query's words
        in a title, its words as one sequence, the preferred sets' bonus."""
        if node is None:
            return self.every()
        q = self.compile(node)
        wanted = ranking_extras(node)
        extras = [self.title_extra(wanted.title_words)] if wanted.title_words else []
        extras += [self.sequence_extra(list(run)) for run in wanted.sequences]
        extras += [self.preferred_extra(p) for p in preferred]
        return self.ranked(q, extras) if extras else q
