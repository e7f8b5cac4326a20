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
PREFIX = 1.0  # no log probability is positive: the mark of a prefix, by identity
SENTENCE_MEMORY = 50_000  # sentences whose words each process remembers
_tokenizer = None


def _tokenizer_class():
    import jieba

    from jieba import finalseg

    class Tokenizer(jieba.Tokenizer):
        """jieba's tokenizer with its inner loop (the best path through a
        sentence's word graph) written tighter, and each sentence's words
        remembered: the segmenter is most of the indexer's time, and law and
        policy texts repeat their clauses. The same arithmetic in the same
        order, so the same words, ~1.7x faster. jieba's cutting, HMM and
        dictionaries are untouched; ``tests/test_analysis.py`` holds the
        output to jieba's own."""

        def prepare(self) -> None:
            """After every dictionary is loaded: one table for the best
            path, so each fragment is looked up once — a word's log
            probability (jieba's ``log(FREQ[w]) - logtotal``, the same
            float), or ``PREFIX`` for the start of a longer word only."""
            logtotal = log(self.total)
            self._path_table = {w: (log(f) - logtotal if f else PREFIX) for w, f in self.FREQ.items()}
            self._unknown = log(1) - logtotal  # a character that is no word
            self._sentences: dict[str, tuple[str, ...]] = {}

        def words(self, text: str) -> list[str]:
            """``list(self.cut(text))`` (default mode, HMM on), without its
            generator layers: jieba's blocks, each sentence cut once."""
            out: list[str] = []
            extend = out.extend
            cut = self._Tokenizer__cut_DAG
            # split's capture groups alternate: other text, a sentence, other text, …
            for i, block in enumerate(jieba.re_han_default.split(text)):
                if i % 2:
                    extend(cut(block))
                elif block:
                    for j, part in enumerate(jieba.re_skip_default.split(block)):
                        if j % 2:
                            out.append(part)  # a space or line break, whole
                        else:
                            extend(part)  # anything else, one character at a time
            return out

        def _Tokenizer__cut_DAG(self, sentence):
            """What jieba's ``__cut_DAG`` yields (default mode, HMM on)."""
            words = self._sentences.get(sentence)
            if words is None:
                if len(self._sentences) >= SENTENCE_MEMORY:
                    self._sentences.clear()
                words = self._sentences[sentence] = tuple(self._cut_sentence(sentence))
            return words

        def _best_path(self, sentence: str) -> list[int]:
            """For each start, the end of the word the best path takes there:
            jieba's ``get_DAG`` and ``calc`` in one backward pass. Candidates
            come in jieba's order and ``>=`` keeps the last of equal scores,
            as jieba's ``max`` over ``(score, end)`` does."""
            get = self._path_table.get
            unknown = self._unknown
            n = len(sentence)
            score = [0.0] * (n + 1)
            end = [0] * n
            for k in range(n - 1, -1, -1):
                best = None
                i = k + 1  # the fragment is sentence[k:i]
                value = get(sentence[k])
                while value is not None:  # a word or the prefix of one
                    if value is not PREFIX:
                        candidate = value + score[i]
                        if best is None or candidate >= best:
                            best, x = candidate, i - 1
                    if i >= n:
                        break
                    i += 1
                    value = get(sentence[k:i])
                if best is None:  # no word starts here: the character alone
                    best, x = unknown + score[k + 1], k
                score[k] = best
                end[k] = x
            return end

        def _cut_sentence(self, sentence):
            end = self._best_path(sentence)
            x = 0
            buf = ""  # single characters in a row: jieba's HMM may find words in them
            n = len(sentence)
            while x < n:
                y = end[x] + 1
                word = sentence[x:y]
                if y - x == 1:
                    buf += word
                else:
                    if buf:
                        yield from self._run_of_characters(buf)
                        buf = ""
                    yield word
                x = y
            if buf:
                yield from self._run_of_characters(buf)

        def _run_of_characters(self, buf: str):
            """As jieba: one character alone; a run that is no word, through the
            HMM; a run that is a word, character by character."""
            if len(buf) == 1:
                yield buf
            elif not self.FREQ.get(buf):
                yield from finalseg.cut(buf)
            else:
                yield from buf

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
