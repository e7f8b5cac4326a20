"""Pinyin typed for Chinese words: ``fangguanfu`` → 放管服, ``xzfy`` → 行政复议.

A researcher on a keyboard without a Chinese input method types the words'
pinyin, whole (``zhengfu caigou``, ``fang guan fu``) or as initials. The
words it can mean are the segmenter's dictionary words (jieba's and the
reform dictionary), read through pypinyin's own tables: its phrase readings
where it has the word (行政 is xíngzhèng, not hángzhèng), else each
character's most common reading. Tones are dropped (ü is written v, as on a
keyboard). The table is built once per process, on the first pinyin query.
"""
from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache

from .. import segmenter

MIN_FREQ = 3  # dictionary words rarer than this are not offered for pinyin (most are segmenter noise)
_SEP = "\x1f"
_ASCII_WORD = re.compile(r"[a-z]{2,40}")
_lock = threading.Lock()
_table = None


def _toneless(syllable: str) -> str:
    syllable = syllable.replace("ü", "v").replace("ǖ", "v").replace("ǘ", "v").replace("ǚ", "v").replace("ǜ", "v")
    return "".join(ch for ch in unicodedata.normalize("NFD", syllable) if not unicodedata.combining(ch))


def _syllables(word: str, chars: dict, phrases: dict) -> list[str] | None:
    reading = phrases.get(word)
    if reading is not None and len(reading) == len(word):
        return [_toneless(r[0]) for r in reading]
    out = []
    for ch in word:
        readings = chars.get(ord(ch))
        if not readings:
            return None  # not a Chinese character pypinyin reads
        out.append(_toneless(readings.split(",")[0]))
    return out


class PinyinTable:
    """full pinyin → words, initials → words; each most frequent first,
    joined in one string (a table of 100,000 short lists costs its size in
    objects)."""

    def __init__(self, full: dict[str, str] | None = None, initials: dict[str, str] | None = None):
        if full is not None and initials is not None:
            self.full, self.initials = full, initials
            return
        from pypinyin import phrases_dict, pinyin_dict

        chars, phrases = pinyin_dict.pinyin_dict, phrases_dict.phrases_dict
        full: dict[str, list[tuple[int, str]]] = {}
        initials: dict[str, list[tuple[int, str]]] = {}
        for word, freq in segmenter.tokenizer().FREQ.items():
            if freq < MIN_FREQ or not 2 <= len(word) <= 8 or word.isascii():
                continue
            syllables = _syllables(word, chars, phrases)
            if syllables is None:
                continue
            full.setdefault("".join(syllables), []).append((freq, word))
            initials.setdefault("".join(s[0] for s in syllables), []).append((freq, word))
        self.full = {k: _SEP.join(w for _, w in sorted(v, reverse=True)) for k, v in full.items()}
        self.initials = {k: _SEP.join(w for _, w in sorted(v, reverse=True)) for k, v in initials.items()}

    def words(self, typed: str) -> list[str]:
        """The words ``typed`` may spell, whole pinyin first, then initials."""
        found = [self.full.get(typed), self.initials.get(typed)]
        return [w for joined in found if joined for w in joined.split(_SEP)]

    def split(self, typed: str) -> list[str] | None:
        """``typed`` as the fewest pinyin words in a row (``zhengfucaigou`` →
        zhengfu, caigou), each one the table knows; None if none such."""
        n = len(typed)
        best: list[list[str] | None] = [None] * (n + 1)
        best[0] = []
        for end in range(1, n + 1):
            for start in range(max(0, end - 36), end):
                if best[start] is not None and typed[start:end] in self.full:
                    candidate = best[start] + [typed[start:end]]
                    if best[end] is None or len(candidate) < len(best[end]):
                        best[end] = candidate
        return best[n]


def table() -> PinyinTable:
    """The process's table: from the cache folder when it was made from the
    same dictionaries, else built (several times slower) and cached."""
    global _table
    if _table is None:
        with _lock:
            if _table is None:
                _table = _cached()
    return _table


def _cached() -> PinyinTable:
    import hashlib
    import os
    import pickle

    from .. import config

    key = hashlib.sha1(repr([(str(p), p.stat().st_mtime_ns) for p in config.dict_files()] + [MIN_FREQ])
                       .encode()).hexdigest()[:16]
    path = config.cache_dir() / f"pinyin-{key}.pickle"
    try:
        with open(path, "rb") as fh:
            full, initials = pickle.load(fh)
        return PinyinTable(full, initials)
    except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError):
        pass
    made = PinyinTable()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            pickle.dump((made.full, made.initials), fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)  # a read-only cache: build again next time
    return made


@lru_cache(maxsize=4096)
def looks_like_pinyin(word: str) -> bool:
    """Lower-case ASCII letters only, at least two."""
    return bool(_ASCII_WORD.fullmatch(word))
