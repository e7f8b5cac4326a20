"""The query tree in Whoosh's dialect (``base.QueryCompiler`` walks it)."""
from __future__ import annotations

from whoosh import query as wq

from ...engine import SEQUENCE_BOOST, TITLE_BOOST, TITLE_MATCH_WEIGHT
from ..base import QueryCompiler
from .bm25 import AndMaybe, Constant, RankedPhrase
from .schema import LATEST_FIELDS

# A document's first paragraph in an index older than the lead field (schema
# 6): its mark (schema 5), one short posting list; before that, terms of the
# numeric fields, skipped through beside the title's word (as numeric ranges,
# Whoosh listed every part-1 paragraph of the index for every word of a
# query). Part is indexed from schema 4: an older index's split first
# paragraph matches with every part.
_FIRST = wq.Term("first", "1")
_FIRST_PARAGRAPH = wq.And([wq.Term("paragraph", 1), wq.Term("part", 1)])


class WhooshQueries(QueryCompiler):
    """``have``: the fields of schemas 5 and 6 the index has (an older index
    matches a quote by its words, and finds a title's word on a first
    paragraph by intersecting the title with its numbers)."""

    def __init__(self, have: frozenset = LATEST_FIELDS):
        self.have = have

    def term(self, field: str, word: str):
        return wq.Term(field, word)

    def phrase(self, field: str, words: list[str]):
        return RankedPhrase(field, words)

    def any_of(self, queries: list):
        return queries[0] if len(queries) == 1 else wq.Or(queries)

    def all_of(self, queries: list, excluded: list):
        if not queries:
            q = wq.Every()  # only exclusions: everything but them
        else:
            q = wq.And(queries) if len(queries) > 1 else queries[0]
        return wq.AndNot(q, wq.Or(excluded)) if excluded else q

    def boosted(self, query, weight: float):
        return query if weight == 1.0 else query.with_boost(weight)

    def constant(self, query, score: float):
        return Constant(query, score)

    def exact(self, grams: list[str], words: list[str]):
        if "chars" not in self.have:
            return None
        found = Constant(wq.Phrase("chars", grams) if len(grams) > 1 else wq.Term("chars", grams[0]), 0.0)
        return AndMaybe(found, wq.Or([wq.Term("text", w) for w in words])) if words else found

    def title_match(self, word: str):
        if "lead" in self.have:
            return wq.Term("lead", word, boost=TITLE_MATCH_WEIGHT)
        return wq.And([wq.Term("title", word, boost=TITLE_MATCH_WEIGHT),
                       Constant(_FIRST if "first" in self.have else _FIRST_PARAGRAPH, 0.0)])

    def title_extra(self, words: tuple[str, ...]):
        # each word boosted, not their union: the union's wrapper would hide
        # the words' block qualities from the ranking
        return wq.Or([wq.Term("title", w, boost=TITLE_BOOST) for w in words])

    def sequence_extra(self, words: list[str]):
        return RankedPhrase("text", words, boost=SEQUENCE_BOOST)

    def ranked(self, query, extras: list):
        for extra in extras:  # optional clauses that keep the query's block skipping
            query = AndMaybe(query, extra)
        return query

    def every(self):
        return wq.Every()


def within_titles(query, words):
    """``query`` kept to the paragraphs of documents whose title holds every
    word (``Filters.title``), scoring nothing more; the optional clauses of
    ``ranked`` stay outside, so the count still unwraps to what matches."""
    need = wq.ConstantScoreQuery(wq.And([wq.Term("title", w) for w in words]), 0.0)
    if isinstance(query, wq.AndMaybe):
        return type(query)(within_titles(query.a, words), query.b)
    if isinstance(query, wq.Every):
        return need
    return wq.And([query, need])
