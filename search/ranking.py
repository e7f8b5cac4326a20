"""The one relevance score every engine gives: BM25 as Lucene and tantivy
define it, so that engines rank the same paragraphs the same way.

An engine that has this BM25 natively (tantivy; Lucene, under OpenSearch)
uses its own; an engine that has not (Whoosh) computes it from these
functions. The pieces that make two BM25s disagree are all fixed here:

- idf is ``ln(1 + (N - n + 0.5) / (n + 0.5))``, with N every paragraph the
  index holds, deleted ones not yet merged away included (as Lucene and
  tantivy count it);
- a field's length is the number of tokens indexed in it (sub-words
  included), stored in one byte on Lucene's log scale (``fieldnorm_id``):
  exact up to 40 tokens, coarser above;
- the average length is the field's tokens over N;
- a phrase scores as one term whose frequency is the number of times the
  phrase occurs, with the sum of its words' idfs;
- a boost multiplies, and a query's clauses add up;
- a paragraph's text is at least ``MIN_LENGTH`` tokens long (``padded``);
- a word of a document's title finds the document's first paragraph, scored
  as the word in the title, with an idf counted in documents (``lead_pads``).

Why the floor: BM25 takes a short field's match as a dense one, so a
heading line or a list stub that only names a topic (``（三）优化营商环境``,
eight tokens) outscored the paragraph that explains it. Below the floor a
paragraph is scored as if it were ``MIN_LENGTH`` tokens long — as long as a
short provision — so naming a topic earns no more than a short sentence
about it does; above it BM25 is unchanged. The engines compute field lengths
themselves, so the floor is given to them as tokens: ``PAD``, a term no query
can hold, after the paragraph's last position (no phrase reaches it; the
tokens kept for highlighting never hold it). Chosen on the graded relevance
set (``bench/relevance/``) over a length prior on the top hits and lighter
heading weights; docs/query.md has the numbers.
"""
from __future__ import annotations

from bisect import bisect_right
from math import log

K1 = 1.2
B = 0.75
MIN_LENGTH = 30  # tokens: the shortest a paragraph's text is scored as
PAD = "§"  # not a letter or digit: the analyser never makes it a query word
_IDENTITY = 24  # norm ids below this are the length itself


def _decode(norm_id: int) -> int:
    if norm_id < _IDENTITY:
        return norm_id
    b = norm_id - _IDENTITY
    bits, shift = b & 0b111, b >> 3
    return _IDENTITY + (bits if shift == 0 else (bits | 8) << (shift - 1))


FIELDNORMS = [_decode(i) for i in range(256)]  # the length each norm id stands for


def fieldnorm_id(length: int) -> int:
    """The one-byte norm of a field ``length`` tokens long."""
    return bisect_right(FIELDNORMS, length) - 1


def idf(doc_freq: int, doc_count: int) -> float:
    return log(1.0 + (doc_count - doc_freq + 0.5) / (doc_freq + 0.5))


def length_factors(average_length: float) -> list[float]:
    """``K1 * (1 - B + B * length / average)`` for each norm id."""
    average = average_length or 1.0
    return [K1 * (1.0 - B + B * length / average) for length in FIELDNORMS]


def weight(idf_value: float, boost: float = 1.0) -> float:
    return idf_value * (1.0 + K1) * boost


def score(weight_value: float, frequency: float, length_factor: float) -> float:
    """A term's (or a phrase's) score in one paragraph."""
    return weight_value * frequency / (frequency + length_factor)


def padded(tokens):
    """A paragraph's text tokens as the engines index them: ``PAD``s after
    its last position up to ``MIN_LENGTH`` tokens (``tokens`` as they are
    when already that long)."""
    from .analysis import Tokens

    missing = MIN_LENGTH - len(tokens)
    if missing <= 0:
        return tokens
    words, positions, starts, ends = tokens.columns()
    after = (max(positions) + 1) if len(positions) else 0
    end = max(ends) if len(ends) else 0
    return Tokens.of(list(tokens) + [(PAD, after + i, end, end) for i in range(missing)])


def lead_pads(title: str) -> str:
    """A document's ``lead`` field on every paragraph but its first, which
    holds the title itself (its space-separated tokens): as many ``PAD``s as
    the title has tokens.

    Why a field of its own: the title is on every paragraph (its words lift
    all of them), so "the title holds the word, and this is the first
    paragraph" was the title's posting list intersected with the first
    paragraphs', every query word, in every search — half of a common word's
    search time. ``lead``'s word postings are the first paragraphs alone.
    The PADs keep its lengths those of the title on every paragraph, so its
    length factors are the title's in engines that count them themselves;
    only its idf differs, counted in documents, the unit a title belongs to."""
    return " ".join([PAD] * len(title.split()))
