"""The one place that touches jieba (with ``fast_jieba``, its faster
tokenizer class, imported from here).

jieba keeps module-level singletons and mutates them on import; we instead build
one private ``jieba.Tokenizer`` per process, load the project's reform dictionary
into it and point its cache at a folder the project owns. Everything else gets a
plain function: ``segment(text) -> [(word, start, end)]`` and ``subwords(word)``.
"""
from __future__ import annotations

import hashlib
import logging
import threading
from functools import lru_cache

from . import config

_lock = threading.Lock()
_tokenizer = None


def _build():
    import jieba

    from .fast_jieba import Tokenizer

    jieba.setLogLevel(logging.WARNING)
    tk = Tokenizer()
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


def segment(text: str) -> list[tuple[str, int, int]]:
    """Words of ``text`` in order as ``(word, start, end)``: jieba's
    ``tokenize`` in its default mode with HMM."""
    out = []
    start = 0
    for word in tokenizer().words(text):
        end = start + len(word)
        out.append((word, start, end))
        start = end
    return out


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
