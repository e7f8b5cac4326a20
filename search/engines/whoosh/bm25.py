"""``search.ranking``'s BM25 in Whoosh, and the query parts Whoosh lacks
(a constant score, an optional clause that keeps block skipping, a phrase
scored as Lucene scores one)."""
from __future__ import annotations

from whoosh import query as wq, scoring
from whoosh import matching
from whoosh.matching import ReadTooFar, WrappingMatcher

from ... import ranking
from .schema import LENGTHS_OF, RANKED_FIELDS


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


class AndMaybe(wq.AndMaybe):
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


class Constant(wq.WrappingQuery):
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


class RankedPhrase(wq.Phrase):
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
