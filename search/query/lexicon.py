"""The dictionary's words, for reading what a researcher typed: the words a
fragment starts (强区 → 强区放权) and the words one character away from a
typo (营商坏境 → 营商环境, 拉圾分类 → 垃圾分类).

The words are the segmenter's own dictionary (jieba's and ``data/dict/``),
never the index's term list: every engine is then offered the same
candidates, and which one is taken is decided by exact counts every engine
gives alike. A fragment of a longer name that the segmenter cut out (改局 of
区发改局) is no dictionary word, so it is never offered.
"""
from __future__ import annotations

import bisect
import threading

from .. import segmenter

_lock = threading.Lock()
_lexicon = None


class Lexicon:
    """The dictionary's words sorted forwards and backwards (reversed), so
    the words with a given start, or a given end, are one bisection away."""

    def __init__(self):
        freq = segmenter.tokenizer().FREQ
        words = [w for w, f in freq.items() if f and len(w) >= 2 and not w.isascii()]
        self.freq = freq
        self.forward = sorted(words)
        self.backward = sorted(w[::-1] for w in words)

    def starting_with(self, prefix: str, limit: int = 20) -> list[str]:
        """Longer dictionary words that start with ``prefix``, most frequent first."""
        i = bisect.bisect_left(self.forward, prefix)
        found = []
        while i < len(self.forward) and self.forward[i].startswith(prefix):
            if len(self.forward[i]) > len(prefix):
                found.append(self.forward[i])
            i += 1
        found.sort(key=lambda w: -self.freq[w])
        return found[:limit]

    def _ending_with(self, suffix: str) -> list[str]:
        key = suffix[::-1]
        i = bisect.bisect_left(self.backward, key)
        out = []
        while i < len(self.backward) and self.backward[i].startswith(key):
            out.append(self.backward[i][::-1])
            i += 1
        return out

    def one_character_away(self, word: str) -> list[str]:
        """Dictionary words of the same length that differ from ``word`` in
        exactly one character, most frequent first."""
        n = len(word)
        if n < 2:
            return []
        found = set()
        for i in range(n):
            if i == 0:
                candidates = self._ending_with(word[1:])
            else:
                lo = bisect.bisect_left(self.forward, word[:i])
                candidates = []
                while lo < len(self.forward) and self.forward[lo].startswith(word[:i]):
                    candidates.append(self.forward[lo])
                    lo += 1
            for w in candidates:
                if len(w) == n and w != word and w[:i] == word[:i] and w[i + 1:] == word[i + 1:]:
                    found.add(w)
        return sorted(found, key=lambda w: -self.freq[w])


def lexicon() -> Lexicon:
    """The process's lexicon, built on first use (a third of a second)."""
    global _lexicon
    if _lexicon is None:
        with _lock:
            if _lexicon is None:
                _lexicon = Lexicon()
    return _lexicon
