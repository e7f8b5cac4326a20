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
- a boost multiplies, and a query's clauses add up.
"""
from __future__ import annotations

from bisect import bisect_right
from math import log

K1 = 1.2
B = 0.75
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
