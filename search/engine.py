"""The narrow interface between the library and a search engine.

Everything above this line (query language, highlighting, CLI, web, indexer)
talks to an ``Engine`` and the plain records below. The engines themselves,
and the registry that names them, are the ``search.engines`` package; what can
go wrong with an index is in ``search.errors``. What every engine must do —
the meaning of a query, of a facet count, of a time limit — is written down
in ``search/CONTRACT.md`` and held by ``tests/test_conformance.py`` and
``tests/test_parity.py``.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Iterable, Protocol

from . import analysis

# what a search counts by and filters by: a document's district and year, a
# paragraph's domains, a document's issuers (发文机关, in simplified script so
# both scripts count together) and 文种
FACETS = ("district", "year", "domain", "issuer", "kind")


def empty_counts() -> dict[str, dict[str, int]]:
    """Each facet's value counts, none counted yet."""
    return {facet: {} for facet in FACETS}
SECTION_SEPARATOR = " › "


@dataclass
class ChunkRecord:
    chunk_id: str
    paragraph: int
    part: int
    text: str
    section_path: list[str] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    # search.analysis.analyse_document's tokens (``analysis.Tokens``, which
    # iterate as (text, position, start, end)): what every engine indexes,
    # and what a hit brings back for highlighting. None: not analysed (an
    # engine then analyses it itself).
    tokens: object | None = None
    section_tokens: object | None = None  # of section_text
    # analysis.exact_chars(text): the letters and digits every engine
    # indexes as pairs (analysis.char_grams), for quotes. None: not analysed.
    chars: str | None = None
    # The text and the heading path in simplified script, as the indexer
    # converted them with their document: the analysis reads them instead
    # of converting again, then drops them (never sent on, never stored).
    # None: not at hand (the analysis converts).
    simplified: str | None = None
    section_simplified: str | None = None

    @property
    def section(self) -> str:
        return self.section_path[-1] if self.section_path else ""

    @property
    def section_text(self) -> str:
        """The heading path as one searchable text (a word matches the
        paragraph or its headings)."""
        return SECTION_SEPARATOR.join(self.section_path)

    def __reduce__(self):
        """Pickled as its fields in order: the analysis processes send
        100,000s of chunks, and this loads faster than a dataclass's default
        (which goes through a dict)."""
        return ChunkRecord, tuple(getattr(self, name) for name in _CHUNK_FIELDS)


_CHUNK_FIELDS = tuple(f.name for f in fields(ChunkRecord))


@dataclass
class DocumentRecord:
    doc_id: str
    source: str  # path relative to its corpus folder
    corpus: str  # absolute corpus folder
    title: str
    date: str | None
    year: int | None
    district: str | None
    content_hash: str
    chunks: list[ChunkRecord] = field(default_factory=list)
    paragraph_count: int = 0  # in the whole document (``chunks`` may hold a part of it)
    title_tokens: object | None = None  # analysis.Tokens
    url: str | None = None  # where the document was published, when its source says
    # where ``date`` (or, without a day, ``year``) came from: "text", "title",
    # "body", "sidecar", "filename", "file" (indexer.meta.DocMeta); None: unknown
    date_source: str | None = None
    title_simplified: str | None = None  # like ChunkRecord.simplified, for the title
    # what researchers cite it by (indexer.official), names in its own script;
    # None / [] when its text does not say
    doc_number: str | None = None  # 文号: 罗办发〔2017〕1号, 国务院令第722号
    issuers: list[str] = field(default_factory=list)  # 发文机关
    kind: str | None = None  # 文种, a simplified label from data/kinds.txt
    index_number: str | None = None  # 索引号
    date_written: str | None = None  # 成文日期
    date_adopted: str | None = None  # 通过 / 批准
    date_effective: str | None = None  # 施行


# ---- the query tree the engine executes (built by search.query) ----


@dataclass(frozen=True)
class Term:
    """One normalized word. A word the index has never seen is replaced by a
    ``Phrase`` of its known pieces before it reaches the engine. ``weight``
    scales what the word adds to a paragraph's score (a synonym or a word
    the query only starts counts less than the word typed); it never
    changes what matches."""

    text: str
    weight: float = 1.0


@dataclass(frozen=True)
class Phrase:
    words: tuple[str, ...]
    weight: float = 1.0


@dataclass(frozen=True)
class Exact(Phrase):
    """Quoted text: ``chars`` (``analysis.exact_chars``), exactly, in the
    paragraph — a fragment that cuts words at either end is found — or
    its words as a phrase in the paragraph's headings. No synonym, no
    title. Its words (``Phrase.words``, what the analyser reads in it) give
    its score; it matches by its characters."""

    chars: str = ""


@dataclass(frozen=True)
class AnyOf:
    items: tuple  # of Term/Phrase/AllOf/AnyOf


@dataclass(frozen=True)
class AllOf:
    """Every item. ``sequence``: the items were typed as one run of characters
    (政府采购 → 政府 采购), so they must stand next to each other, in order —
    a paragraph that merely mentions 政府 and, elsewhere, 采购 does not
    contain what was asked."""

    items: tuple
    exclude: tuple = ()
    sequence: bool = False
    # a run's exact characters as typed (``analysis.exact_chars``), question
    # words and all: a run also matches where these stand as they are, so a
    # sentence pasted without quotes is found even where the segmenter cut
    # it differently from the paragraph
    chars: str = ""


@dataclass
class Filters:
    """What a match must be, besides the query: within each facet any of
    the values (ORed), across facets all of them; ``date``: a document's
    day within an inclusive span of ISO days (a document without a day
    is outside every span)."""

    district: list[str] = field(default_factory=list)
    year: list[tuple[int, int]] = field(default_factory=list)  # inclusive ranges, ORed
    domain: list[str] = field(default_factory=list)
    issuer: list[str] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)
    date: tuple[str, str] | None = None
    # words (normalized) the document's title must hold, every one (``title:``)
    title: list[str] = field(default_factory=list)

    def without(self, *names: str) -> "Filters":
        """A copy without these selections (a facet's counts ignore its own)."""
        return Filters(**{f.name: (None if f.name == "date" else []) if f.name in names
                          else _copied(getattr(self, f.name)) for f in fields(self)})

    def is_empty(self) -> bool:
        return not any(getattr(self, f.name) for f in fields(self))

    def key(self) -> tuple:
        """Every selection, as a value to remember an answer by."""
        return tuple(_frozen(getattr(self, f.name)) for f in fields(self))


def _copied(value):
    return list(value) if isinstance(value, list) else value


def _frozen(value):
    return tuple(value) if isinstance(value, list) else value


DAY_LOW, DAY_HIGH = "0000-01-01", "9999-12-31"  # an open end of a date span


def day_number(day: str | None) -> int:
    """An ISO day as the number engines filter by (20210301; 0: none)."""
    return int(day.replace("-", "")) if day else 0


def day_range(span: tuple[str, str]) -> tuple[int, int]:
    """A date span as the inclusive range of ``day_number``s an engine
    filters by: never from 0, which is a document without a day."""
    return max(1, day_number(span[0])), day_number(span[1])


def issuer_values(doc: "DocumentRecord") -> list[str]:
    """A document's issuers as the issuer facet counts them: simplified."""
    return list(dict.fromkeys(analysis.to_simplified(name) for name in doc.issuers or []))


@dataclass(kw_only=True)
class SearchRequest:
    """What one search asks an engine, built by keyword."""

    query: AllOf | None = None  # None: match every paragraph (filters only)
    filters: Filters = field(default_factory=Filters)
    page: int = 1
    limit: int = 10
    sort: str = "relevance"  # or "date" (newest first) or "date-asc"
    facets: bool = True
    time_limit: float | None = None  # seconds for the whole search
    # also count by document: how many matching paragraphs each document
    # has, how many documents match, and (with ``facets``) each facet value's
    # number of documents (the by-document view)
    documents: bool = False
    # also count district × year over the matches, honouring the domain
    # filter and ignoring the district and year selections (the comparison
    # chart: every district's whole timeline); in documents too with
    # ``documents``
    pivot: bool = False
    # hits without their tokens (``ChunkRecord.tokens`` None): a caller that
    # reads many hits to pick a few, and marks only those
    light: bool = False
    # paragraphs that also match these trees rank above every other match: the
    # engine adds ``PREFERRED_BONUS`` to their score for each tree they match,
    # and nothing else (what matches is ``query``'s alone). The service puts
    # the paragraphs holding every word of a query before those holding only
    # most of them, and those holding the words as typed before those
    # holding only a synonym.
    preferred: tuple = ()

    @classmethod
    def counting(cls, query: AllOf | None, filters: Filters | None = None) -> "SearchRequest":
        """Only how many paragraphs match: no page, no facets."""
        return cls(query=query, filters=filters if filters is not None else Filters(), limit=0, facets=False)


@dataclass
class Hit:
    """One matching paragraph, decoded by the engine that found it: nothing
    above the engine reads a backend's stored fields."""

    doc: DocumentRecord  # the paragraph's document (``chunks`` left empty)
    chunk: ChunkRecord
    score: float


@dataclass
class EngineResult:
    total: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]]
    # what the time limit cut short: "facets" (the total and the counts are
    # then lower bounds), "ranking" (the page is the best of what was seen)
    timed_out: list[str] = field(default_factory=list)
    # what was not counted at all, to stay within bounds: "documents" (more
    # documents matched than ``DOCUMENT_BUCKETS``), "document_facets" and
    # "pivot" (too many buckets for the engine)
    given_up: list[str] = field(default_factory=list)
    # with ``SearchRequest.documents``: doc_id → its matching paragraphs (the
    # ``DOCUMENT_BUCKETS`` documents with most, when more match), the number
    # of matching documents, and per facet value its matching documents
    documents: dict[str, int] = field(default_factory=dict)
    document_total: int = 0
    document_facets: dict[str, dict[str, int]] = field(default_factory=dict)
    # with ``SearchRequest.pivot``: district → year → paragraphs (and documents)
    pivot: dict[str, dict[str, int]] = field(default_factory=dict)
    document_pivot: dict[str, dict[str, int]] = field(default_factory=dict)


class IndexUpdate(Protocol):
    def replace(self, doc: DocumentRecord) -> None: ...
    def delete(self, doc_id: str) -> None: ...
    def commit(self) -> None: ...
    def cancel(self) -> None: ...


class Engine(Protocol):
    """Every method a caller of an engine uses (``search.engines.base``
    writes the ones engines share)."""

    NAME: str  # its key in ``search.engines.ENGINES``
    root: Path  # the index folder

    def state(self) -> str:
        """'missing', 'live' or 'damaged'."""
        ...
    def check(self) -> None:
        """Raise ``IndexMissing`` or ``IndexDamaged`` unless the index opens."""
        ...
    def clean_up(self) -> list[str]:
        """Remove what killed runs left behind (hold the writer lock)."""
        ...
    def update(self, rebuild: bool = False, procs: int = 1) -> IndexUpdate: ...
    def indexed_documents(self) -> dict[str, tuple[str, str]]:
        """doc_id → (source key, content hash) of everything in the index."""
        ...
    def catalogue(self) -> list[DocumentRecord]:
        """Every document's record (no chunks): the archive's table."""
        ...
    def facet_documents(self, facet: str) -> dict[str, dict[str, int]]:
        """A paragraph facet's values → the documents with paragraphs that
        have it → how many."""
        ...
    def facet_values(self, facet: str) -> list[str]: ...
    def known_terms(self, words: Iterable[str]) -> set[str]: ...
    def term_counts(self, words: Iterable[str]) -> dict[str, int]:
        """How many paragraphs' text holds each word (completions rank by it)."""
        ...
    def similar_terms(self, word: str, limit: int = 3) -> list[str]: ...
    def search(self, request: SearchRequest) -> EngineResult: ...
    def document(self, doc_id: str, first: int = 1, last: int | None = None) -> DocumentRecord | None:
        """The document with the chunks of paragraphs ``first``–``last``."""
        ...
    def stats(self) -> dict: ...
    def health(self) -> dict:
        """How the engine's server is, for ``/healthz`` (empty: no server)."""
        ...
    def reopen(self) -> None:
        """Read the index afresh on the next search (an indexer committed)."""
        ...
    def close(self) -> None: ...


# ---- product rules every engine applies the same way

DOCUMENT_BUCKETS = 50_000  # at most this many documents' paragraph counts per search


TITLE_BOOST = 0.3  # a query word that is also in the document's title
# Far above any BM25 score a query of at most 32 words reaches (a word's idf is
# below 15 at a million paragraphs, its term factor below 2.2), and small
# enough that a float32 score keeps a thousandth's precision beside it.
PREFERRED_BONUS = 1000.0
# A word in a document's title matches the document's first paragraph (a news
# story's headline names what its body may not), scored as a title match at
# this weight; one paragraph per document, so counts grow by at most that.
TITLE_MATCH_WEIGHT = 0.5


def shown_score(score: float) -> float:
    """A hit's relevance as the answer shows it: without the bonuses of the
    preferred sets (which only order the sets)."""
    return score - PREFERRED_BONUS * math.floor(score / PREFERRED_BONUS) if score >= PREFERRED_BONUS else score
SEQUENCE_BOOST = 2.0  # the query's words standing next to each other, in order


@dataclass(frozen=True)
class RankingExtras:
    """What reorders a query's matches and never filters them."""

    title_words: tuple[str, ...]
    sequences: tuple[tuple[str, ...], ...]


def ranking_extras(node: AllOf | None) -> RankingExtras:
    """The words to look for in titles, and the runs of the query's own words
    to reward where they appear as one sequence."""
    if not isinstance(node, AllOf):
        return RankingExtras((), ())
    words = [i.text for i in node.items if isinstance(i, Term)]
    runs = [[t.text for t in i.items] for i in node.items
            if isinstance(i, AllOf) and not i.sequence and i.items and all(isinstance(t, Term) for t in i.items)]
    sequences = ([words] if len(words) >= 2 else []) + [r for r in runs if len(r) >= 2]
    return RankingExtras(tuple(words + [w for run in runs for w in run]), tuple(tuple(s) for s in sequences))


MAX_SEQUENCES = 64  # a typed run whose words have aliases: at most this many word sequences


def exact_chars_of(node) -> str:
    """The characters a quote or a typed run also matches by, exactly
    (empty: it matches by its words only). Every engine adds, beside the
    node's word phrases, a match on its ``chars`` field that scores
    nothing itself plus the node's words, which score as words do."""
    if isinstance(node, Exact):
        return node.chars
    if isinstance(node, AllOf) and node.sequence and not node.exclude:
        return node.chars
    return ""


def scoring_words(node) -> list[str]:
    """The distinct words a match by exact characters is scored by."""
    return list(dict.fromkeys(iter_terms(node)))


def word_sequences(node) -> list[list[str]]:
    """The word sequences a run (or a run's item) stands for: one, unless an
    item is an alias group, then every combination (at most
    ``MAX_SEQUENCES``). Every engine matches and scores a run as the OR of
    these phrases, so a run with aliases ranks the same everywhere."""
    if isinstance(node, Term):
        return [[node.text]]
    if isinstance(node, Phrase):
        return [list(node.words)]
    if isinstance(node, AnyOf):
        return [seq for item in node.items for seq in word_sequences(item)]
    if isinstance(node, AllOf):
        combos = itertools.islice(itertools.product(*[word_sequences(i) for i in node.items]), MAX_SEQUENCES)
        return [[w for part in combo for w in part] for combo in combos]
    raise TypeError(node)


# An engine that sorts by a stored number gives a paragraph with neither a
# date nor a year these keys, so it comes last in both orders.
NO_DATE_DESC, NO_DATE_ASC = 0, 10 ** 9


def date_sort_keys(doc: "DocumentRecord") -> tuple[int, int]:
    """``date_key`` for each order's sort field: (newest first, oldest first)."""
    value = date_key(doc.date, doc.year)
    return (NO_DATE_DESC, NO_DATE_ASC) if value is None else (value, value)


NO_DATE_ORDER = 99_999_999  # after every date_key, in both orders


def reading_order(date: str | None, year: int | str | None, doc_id: str, paragraph: int, part: int,
                  newest_first: bool) -> str:
    """A paragraph's place in the date sorts, as one text sorted ascending:
    its document's date (``date_key``; newest first by its complement, no
    date last in both orders), then its document, then its place in the
    document. So documents of one date follow one another, each read top to
    bottom, and every engine gives the same order: tantivy sorts by this
    text, Whoosh by this text made from its columns, OpenSearch by the same
    fields one after another."""
    value = date_key(date, int(year) if year else None)
    order = NO_DATE_ORDER if value is None else (NO_DATE_ORDER - value if newest_first else value)
    return f"{order:08d}{doc_id}{paragraph:07d}{part:05d}"


def document_fields(doc: "DocumentRecord") -> dict:
    """What an engine stores of a document beside each of its paragraphs (a
    hit's document, ``document_from_fields`` reads it back)."""
    return {"doc_id": doc.doc_id, "source": doc.source, "corpus": doc.corpus, "title": doc.title,
            "date": doc.date, "year": doc.year, "district": doc.district, "content_hash": doc.content_hash,
            "url": doc.url, "date_source": doc.date_source, **official_of(doc)}


# a document's official fields (``DocumentRecord``), stored and returned as they are
OFFICIAL_FIELDS = ("doc_number", "issuers", "kind", "index_number", "date_written", "date_adopted", "date_effective")


def official_of(doc: "DocumentRecord") -> dict:
    return {name: getattr(doc, name) for name in OFFICIAL_FIELDS}


def official_fields(stored: dict | None) -> dict:
    """``official_of``'s fields as stored; what an older index did not
    store is unknown."""
    stored = stored or {}
    return {name: stored.get(name) or ([] if name == "issuers" else None) for name in OFFICIAL_FIELDS}


def document_from_fields(d: dict) -> "DocumentRecord":
    return DocumentRecord(d["doc_id"], d["source"], d["corpus"], d["title"], d["date"], d["year"], d["district"],
                          d["content_hash"], url=d.get("url"), date_source=d.get("date_source"), **official_fields(d))


def one_character_away(term: str, word: str) -> bool:
    """Another word of the same length with one character changed (what
    ``similar_terms`` lists)."""
    return len(term) == len(word) and term != word and sum(a != b for a, b in zip(term, word)) == 1


def date_key(date: str | None, year: int | None) -> int | None:
    """The date sort's key of a document: a known day as YYYYMMDD; a year
    without a day as YYYY0000, so it sorts after that year's dated documents
    when newest first (before them oldest first); None without either
    (engines put those last in both orders)."""
    if date:
        return int(date[:4] + date[5:7] + date[8:10])
    if year:
        return int(year) * 10000
    return None


def iter_terms(node) -> Iterable[str]:
    """Every word a query tree names, in order (for notes and suggestions)."""
    if node is None:
        return
    if isinstance(node, Term):
        yield node.text
    elif isinstance(node, Phrase):
        yield from node.words
    elif isinstance(node, (AnyOf, AllOf)):
        for item in node.items:
            yield from iter_terms(item)
