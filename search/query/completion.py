"""What a word typed so far may become: the words that start with it.

Two users of one list: the search box's suggestions as you type
(``/api/suggest``) and a query's trailing ``*`` (``放管*``: any word that
starts with 放管). The words are the segmenter's dictionary (jieba's and
data/dict, what the index was cut into), ranked by how many paragraphs of
the index hold them — a dictionary word the archive never uses is not
offered. The sorted list is built once per process, on first use.
"""
from __future__ import annotations

import bisect
import threading

from .. import segmenter

CANDIDATES = 80  # dictionary words (most frequent in the dictionary) whose counts are asked of the index
SCANNED = 20_000  # at most this many words that start with a one-character prefix are looked at
MAX_WORD = 16
_lock = threading.Lock()
_words: list[str] | None = None


def dictionary_words() -> list[str]:
    """Every dictionary word of two or more characters, sorted (so a prefix
    is a range)."""
    global _words
    if _words is None:
        with _lock:
            if _words is None:
                freq = segmenter.tokenizer().FREQ
                _words = sorted(w for w, n in freq.items() if n and 2 <= len(w) <= MAX_WORD and not w.isspace())
    return _words


def starting_with(prefix: str, limit: int = CANDIDATES) -> list[str]:
    """The dictionary's words that start with ``prefix`` (itself included
    when it is one), most frequent in the dictionary first."""
    if not prefix:
        return []
    words = dictionary_words()
    found = []
    for i in range(bisect.bisect_left(words, prefix), min(len(words), bisect.bisect_left(words, prefix) + SCANNED)):
        if not words[i].startswith(prefix):
            break
        found.append(words[i])
    freq = segmenter.tokenizer().FREQ
    found.sort(key=lambda w: (-freq.get(w, 0), w))
    return found[:limit]


def completions(engine, prefix: str, limit: int) -> list[tuple[str, int]]:
    """(word, paragraphs holding it) for the indexed words that start with
    ``prefix``, the most used first."""
    candidates = starting_with(prefix)
    if not candidates:
        return []
    counts = engine.term_counts(candidates)
    ranked = sorted((w for w in candidates if counts.get(w)), key=lambda w: (-counts[w], w))
    return [(w, counts[w]) for w in ranked[:limit]]
