"""The one place that touches jieba.

jieba keeps module-level singletons and mutates them on import; we instead build
one private ``jieba.Tokenizer`` per process, load the project's reform dictionary
into it and point its cache at a folder the project owns. Everything else gets a
plain function: ``segment(text) -> [(word, start, end)]`` and ``subwords(word)``.
"""
from __future__ import annotations

import hashlib
import logging
import threading
from math import log
from functools import lru_cache

from . import config

_lock = threading.Lock()
_tokenizer = None


def _tokenizer_class():
    import jieba

    class Tokenizer(jieba.Tokenizer):
        """jieba's tokenizer with its two inner loops (the word graph of a
        sentence, and the best path through it) written tighter: the same
        arithmetic in the same order, so the same words, ~1.2x faster — the
        segmenter is most of the indexer's time. jieba's own cutting, HMM
        and dictionaries are untouched; ``tests/test_analysis.py`` holds the
        output to jieba's own on the seed corpus."""

        def prepare(self) -> None:
            """After every dictionary is loaded: log frequencies, once."""
            self._logfreq = {w: log(f) for w, f in self.FREQ.items() if f}
            self._logtotal = log(self.total)

        def get_DAG(self, sentence):
            self.check_initialized()
            get = self.FREQ.get
            dag = {}
            n = len(sentence)
            for k in range(n):
                ends = []
                i = k + 1  # the fragment is sentence[k:i]
                f = get(sentence[k])
                while f is not None:  # a word or the prefix of one
                    if f:
                        ends.append(i - 1)
                    if i >= n:
                        break
                    i += 1
                    f = get(sentence[k:i])
                dag[k] = ends or [k]
            return dag

        def calc(self, sentence, DAG, route):
            n = len(sentence)
            route[n] = (0, 0)
            logfreq = self._logfreq.get
            logtotal = self._logtotal
            for idx in range(n - 1, -1, -1):
                best = None
                for x in DAG[idx]:
                    # log(FREQ.get(w) or 1) - logtotal + route[x + 1][0], as jieba
                    candidate = (logfreq(sentence[idx:x + 1], 0.0) - logtotal + route[x + 1][0], x)
                    if best is None or candidate > best:
                        best = candidate
                route[idx] = best

    return Tokenizer


def _build():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tk = _tokenizer_class()()
    # The cache key includes our dictionary files so an edited dictionary is never
    # shadowed by a stale cache.
    digest = hashlib.sha1()
    for path in config.dict_files():
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    tk.tmp_dir = str(config.cache_dir())
    tk.cache_file = f"jieba.{digest.hexdigest()[:12]}.cache"
    tk.initialize()
    for path in config.dict_files():
        tk.load_userdict(str(path))
    tk.prepare()
    return tk


def tokenizer():
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                _tokenizer = _build()
    return _tokenizer


def segment(text: str):
    """Words of ``text`` in order as ``(word, start, end)``; jieba's default mode with HMM."""
    return tokenizer().tokenize(text, mode="default", HMM=True)


def in_dictionary(word: str) -> bool:
    return bool(tokenizer().FREQ.get(word))


@lru_cache(maxsize=200_000)
def subwords(word: str) -> tuple[tuple[str, int], ...]:
    """Dictionary 2- and 3-grams inside a longer word, with their offset in it —
    what jieba's search mode adds, so a part of a long word can still be found."""
    n = len(word)
    if n <= 2:
        return ()
    freq = tokenizer().FREQ
    out = []
    for size in (2, 3):
        if n <= size:
            continue
        for i in range(n - size + 1):
            gram = word[i : i + size]
            if freq.get(gram):
                out.append((gram, i))
    return tuple(out)
