"""What a Whoosh index holds: its fields, the analyser that hands Whoosh the
library's own tokens, and how a stored paragraph reads back as records."""
from __future__ import annotations

from typing import Iterator

from whoosh import columns, fields
from whoosh.analysis import SpaceSeparatedTokenizer
from whoosh.analysis import Token as WToken
from whoosh.analysis import Tokenizer as WTokenizer

from ... import analysis
from .files import install as read_segments_in_place
from ...engine import ChunkRecord, DocumentRecord, official_fields

read_segments_in_place()  # segments read in place: no copy of the index per searcher

# 2: the ranked fields' one-byte lengths (search.ranking); 3: a document's url;
# 4: where its date came from, and doc_id and part as columns (the reading order);
# 5: the text's exact characters (quotes; an older index matches a quote by its words)
#    and the first paragraphs' mark; 6: lead, the title on a document's first paragraph

SCHEMA_VERSION = 7
READABLE_SCHEMAS = (2, 3, 4, 5, 6, 7)  # an older index reads (without what came later) until it is rebuilt
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
        official=fields.STORED(),  # schema 7: the document's official fields (engine.OFFICIAL_FIELDS)
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
        # schema 7: the document's issuers (simplified, comma-joined) and 文种
        issuer=fields.KEYWORD(stored=False, commas=True, lowercase=False),
        issuer_set=fields.COLUMN(columns.RefBytesColumn()),
        kind=fields.ID(stored=False, sortable=columns.RefBytesColumn()),
        text_norm=fields.COLUMN(columns.NumericColumn("B")),
        section_norm=fields.COLUMN(columns.NumericColumn("B")),
        title_norm=fields.COLUMN(columns.NumericColumn("B")),
    )


def records(stored: dict, tokens: bool = True) -> tuple[DocumentRecord, ChunkRecord]:
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
        **official_fields(stored.get("official")),
    )
    chunk = ChunkRecord(stored["chunk_id"], stored["paragraph"], stored.get("part", 1), stored["text"],
                        list(stored.get("section_path") or []), [d for d in stored["domain"].split(",") if d],
                        tokens=analysis.unpack_tokens(stored.get("tokens")) if tokens else None,
                        section_tokens=analysis.unpack_tokens(stored.get("section_tokens")) if tokens else None)
    return doc, chunk


def text_of(value) -> str:
    if value is None:
        return ""
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)
