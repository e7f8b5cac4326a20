"""The one analyzer, shared by indexing and querying.

Reads like a Whoosh analyzer — a tokenizer piped into small token filters — but
imports no engine: ``search.engines.whoosh.schema`` adapts it. The tokenizer works on a
normalized *copy* of the text (OpenCC t2s, full-width→half-width, Latin case
folding) and maps every token back to character offsets in the *original* text,
so a traditional paragraph is found by a simplified query and highlighted in
its own script.

Positions are ordinal word numbers. The dictionary 2-/3-grams inside a long word
("营商", "环境" inside "营商环境") are emitted at the position of their word, so a
phrase query over whole words keeps consecutive positions, and a part can still
be found on its own.
"""
from __future__ import annotations

import re
import struct
import sys
import threading
from array import array
import unicodedata
from dataclasses import dataclass
from typing import Iterable, Iterator

from . import segmenter

_cc_local = threading.local()


def _converter():
    # OpenCC converters are cheap but not documented as thread-safe: one per thread.
    conv = getattr(_cc_local, "conv", None)
    if conv is None:
        import opencc

        conv = _cc_local.conv = opencc.OpenCC("t2s")
    return conv


def _width_table() -> dict[int, str]:
    table = {0x3000: " "}
    for code in range(0xFF01, 0xFF5F):  # full-width ASCII block
        table[code] = chr(code - 0xFEE0)
    for code in range(ord("A"), ord("Z") + 1):
        table[code] = chr(code + 32)
    for code in range(0xFF21, 0xFF3B):  # full-width A-Z straight to lower case
        table[code] = chr(code - 0xFEE0 + 32)
    return table


_WIDTH = _width_table()


def to_simplified(text: str) -> str:
    return _converter().convert(text)


def normalize(text: str, simplified: str | None = None) -> tuple[str, list[int] | None]:
    """Simplified, width- and case-folded copy of ``text``.

    Returns ``(copy, offsets)``: ``offsets`` is ``None`` when every character maps
    to exactly one character (the usual case, so copy offsets *are* original
    offsets); otherwise ``offsets[i]`` is the original index of copy character
    ``i`` plus a final entry for the end. ``simplified``: ``text`` in
    simplified script when the caller converted it already (the indexer
    converts a document's lines once); used when it keeps the length (t2s
    leaves what the fold changes alone, so folding it gives the same copy).
    """
    if simplified is not None and len(simplified) == len(text):
        return simplified.translate(_WIDTH), None
    folded = text.translate(_WIDTH)
    simp = _converter().convert(folded)
    if len(simp) == len(text):
        return simp, None
    # OpenCC changed the length (a phrase mapping); convert character by
    # character so every output character knows where it came from.
    conv = _converter()
    out: list[str] = []
    offsets: list[int] = []
    for i, ch in enumerate(folded):
        piece = conv.convert(ch) if ord(ch) > 0x2E7F else ch
        out.append(piece)
        offsets.extend([i] * len(piece))
    offsets.append(len(text))
    return "".join(out), offsets


def normalize_word(text: str) -> str:
    """Normalize a query word or dictionary entry the same way as text."""
    return normalize(text)[0]


@dataclass(slots=True)
class Token:
    """Mirrors whoosh.analysis.Token's fields so an adapter can copy them over."""

    text: str
    pos: int
    startchar: int
    endchar: int
    subword: bool = False


_BREAKS = frozenset("。，、；：！？,;:!?\n\r\t…")


def _is_indexable(word: str) -> bool:
    for ch in word:
        if ch.isalnum():
            return True
        cat = unicodedata.category(ch)
        if cat.startswith("L") or cat.startswith("N"):
            return True
        if ch == "+" and len(word) > 1:
            return True
    return False


class ChineseTokenizer:
    """``index_tokens`` as a tokenizer: ``subwords=False`` gives whole
    words only (what a query word *is*); ``subwords=True`` adds the
    dictionary parts of long words at the same position (what the index
    holds, so a part can be found too)."""

    def __init__(self, subwords: bool = True):
        self.subwords = subwords

    def __call__(self, text: str, start_pos: int = 0) -> Iterator[Token]:
        """``index_tokens``' tokens as ``Token``s: one implementation of the
        analysis, whichever form a caller takes it in. A sub-word stands
        before its word, at the word's position."""
        rows = list(index_tokens(text, self.subwords))
        for i, (word, pos, start, end) in enumerate(rows):
            yield Token(word, pos + start_pos, start, end, i + 1 < len(rows) and rows[i + 1][1] == pos)


class Analyzer:
    """A tokenizer piped into filters (``index_tokens`` already drops the
    spaces jieba leaves on mixed Latin runs: no filter is needed today)."""

    def __init__(self, tokenizer: ChineseTokenizer, filters: list | None = None):
        self.tokenizer = tokenizer
        self.filters = filters or []

    def __or__(self, other):
        return Analyzer(self.tokenizer, self.filters + [other])

    def __call__(self, text: str, start_pos: int = 0) -> Iterator[Token]:
        stream: Iterable[Token] = self.tokenizer(text, start_pos)
        for f in self.filters:
            stream = f(stream)
        return iter(stream)


def index_analyzer() -> Analyzer:
    return Analyzer(ChineseTokenizer(subwords=True))


def query_analyzer() -> Analyzer:
    return Analyzer(ChineseTokenizer(subwords=False))


def words(text: str) -> list[str]:
    """Whole query words of ``text``, normalized (simplified, folded): the
    analysis's own list, without making a ``Token`` of each."""
    return index_tokens(text, subwords=False).words


# ---- exact characters (a quoted fragment, a pasted run)

_CHAR = re.compile(r"[^\W_]")  # a letter or a digit of any script
_NOT_CHAR = re.compile(r"[\W_]+")


def exact_chars(text: str) -> str:
    """The letters and digits of ``text``, normalized like a word, with
    nothing between them: what a quoted fragment must find as it stands
    (北大法宝's 精确检索). Every engine indexes a paragraph's exact
    characters (``char_grams``), so a fragment that cuts words at either
    end — 化营商环境 out of 优化营商环境 — is found, and punctuation or
    spaces in a copy (a full-width comma for a half-width one) do not
    matter."""
    return _chars_of(normalize(text)[0])


def _chars_of(norm: str) -> str:
    """``exact_chars`` of a text already normalized."""
    return _NOT_CHAR.sub("", _lowered(norm))


def _lowered(norm: str) -> str:
    """Lower case beyond ASCII (normalize folds only A-Z), unless that
    changes the length (İ): offsets must stay one to one."""
    lowered = norm.lower()
    return lowered if len(lowered) == len(norm) else norm


def char_grams(chars: str) -> list[str]:
    """Exact characters as the engines index and look for them: each pair of
    neighbours, one per position (依法行政 → 依法 法行 行政), so a quote is a
    phrase of pairs. Pairs, not single characters: 法 and 行 stand in half
    the paragraphs of a law archive, and a phrase of them reads that much
    (a quote took many times a word's time on the benchmark's corpus); a
    pair's postings are a few hundred times shorter. One character makes no
    pair: a one-character quote matches as its word."""
    return [chars[i:i + 2] for i in range(len(chars) - 1)]


def char_string(chars: str) -> str:
    """``char_grams`` as an engine takes them, split at spaces by its own
    whitespace tokenizer (no engine tokenizer agrees on what a "character"
    is; this way all of them index ours)."""
    return " ".join(char_grams(chars))


def exact_spans(text: str, fragments) -> list[tuple[int, int]]:
    """Where each fragment's exact characters stand in ``text`` (offsets
    into the original, whatever its script), skipping what is not a letter
    or digit between them: marks for what a quote matched."""
    fragments = [f for f in fragments if f]
    if not fragments or not text:
        return []
    norm, offsets = normalize(text)
    lowered = _lowered(norm)
    kept = [m.start() for m in _CHAR.finditer(lowered)]
    letters = "".join(lowered[i] for i in kept)
    spans = []
    for fragment in fragments:
        at = letters.find(fragment)
        while at >= 0:
            first, last = kept[at], kept[at + len(fragment) - 1]
            if offsets is None:
                spans.append((first, last + 1))
            else:
                spans.append((offsets[first], max(offsets[last] + 1, offsets[last + 1])))
            at = letters.find(fragment, at + 1)
    return spans


# A token as every engine receives it and as the index keeps it for
# highlighting: (text, position, start, end), offsets into the original text.
TokenTuple = tuple[str, int, int, int]
_SEP = "\x1f"  # never inside a token: a control character is not indexable


class Tokens:
    """A text's index tokens, held compactly: the words joined in one string
    and the numbers (position, start, end of each) in one array. Iterating
    gives ``TokenTuple``s. Sending 100,000s of paragraphs to the writer,
    storing them for highlighting and making an engine's token objects
    (``columns()``) then costs a few copies of two buffers, not millions of
    small Python objects. A value, never changed once made: ``packed``
    keeps its packed form once there is one."""

    __slots__ = ("words", "numbers", "packed")

    def __init__(self, words: list[str], numbers: array, packed: bytes | None = None):
        self.words = words
        self.numbers = numbers
        self.packed = packed

    @classmethod
    def of(cls, tuples) -> "Tokens":
        words, numbers = [], array("i")
        for word, pos, start, end in tuples:
            words.append(word)
            numbers.extend((pos, start, end))
        return cls(words, numbers)

    def columns(self) -> tuple[list[str], array, array, array]:
        n = self.numbers
        return self.words, n[0::3], n[1::3], n[2::3]

    def __iter__(self) -> Iterator[TokenTuple]:
        return zip(*self.columns())

    def __len__(self) -> int:
        return len(self.words)

    def __eq__(self, other) -> bool:
        if isinstance(other, Tokens):
            return self.words == other.words and self.numbers == other.numbers
        return list(self) == list(other)

    def __repr__(self) -> str:
        return f"Tokens({list(self)!r})"

    def __reduce__(self):
        """Sent between processes in the format the index keeps."""
        return unpack_tokens, (pack_tokens(self),)


_KIND_CACHE: dict[str, int] = {}
_SKIP, _BREAK, _WORD = 0, 1, 2


def _kind(word: str) -> int:
    """Whether a segment is a word, a clause break or neither, remembered:
    the same few thousand words make up most of any corpus."""
    kind = _KIND_CACHE.get(word)
    if kind is None:
        if len(_KIND_CACHE) > 500_000:
            _KIND_CACHE.clear()
        kind = _WORD if _is_indexable(word) else (_BREAK if _BREAKS.intersection(word) else _SKIP)
        _KIND_CACHE[word] = kind
    return kind


def index_tokens(text: str, subwords: bool = True, normalized: tuple | None = None) -> Tokens:
    """The analysis, in one pass (the indexer's inner loop): what the index
    holds for ``text`` — whole words and, at each long word's position
    before it, its dictionary parts (``subwords=False``: whole words only,
    what a query word *is*). t2s + jieba with original offsets and ordinal
    positions; clause and sentence breaks take a position, so a phrase never
    runs across them; quotes, brackets and spaces do not, so "深化放管服改革"
    still matches 深化“放管服”改革. ``normalized``: ``normalize(text)``,
    when the caller has it already. ``index_analyzer()`` and
    ``query_analyzer()`` give these tokens as ``Token``s."""
    words: list[str] = []
    numbers = array("i")
    if not text:
        return Tokens(words, numbers)
    norm, offsets = normalized if normalized is not None else normalize(text)
    word_append, more = words.append, numbers.extend
    parts, with_parts = segmenter.subwords, subwords
    pos = -1
    for word, start, end in segmenter.segment(norm):
        kind = _kind(word)
        if kind != _WORD:
            if kind == _BREAK:
                pos += 1
            continue
        pos += 1
        if with_parts and len(word) > 2:
            for gram, at in parts(word):
                word_append(gram)
                if offsets is None:
                    more((pos, start + at, start + at + len(gram)))
                else:
                    more((pos, offsets[start + at], offsets[start + at + len(gram)]))
        stripped = word.strip()
        if stripped:
            word_append(stripped)
            if offsets is None:
                more((pos, start, end))
            else:
                more((pos, offsets[start], offsets[end]))
    return Tokens(words, numbers)


def analyse_document(doc) -> None:
    """Attach the index tokens of a document's title and of each chunk's
    text and heading path, once, before any engine sees it: every engine
    indexes exactly these tokens, and keeps the text's for highlighting.
    A heading path or title repeats on every paragraph it covers, so each
    distinct one is segmented once."""
    seen: dict[str, Tokens] = {}

    def once(text: str, simplified: str | None) -> Tokens:
        found = seen.get(text)
        if found is None:
            found = seen[text] = index_tokens(text, normalized=normalize(text, simplified))
        return found

    doc.title_tokens = _known_by(doc) if doc.doc_number else (
        once(doc.title, doc.title_simplified) if doc.title else index_tokens(""))
    doc.title_simplified = None
    for chunk in doc.chunks:
        normalized = normalize(chunk.text, chunk.simplified)  # once for the words and the exact characters
        chunk.tokens = index_tokens(chunk.text, normalized=normalized)
        chunk.chars = _chars_of(normalized[0])
        chunk.section_tokens = once(chunk.section_text, chunk.section_simplified) if chunk.section_path else index_tokens("")
        chunk.simplified = chunk.section_simplified = None


def _known_by(doc) -> Tokens:
    """The tokens of what a document is known by: its title, then on a line
    of its own its 文号 — a researcher types 罗办发〔2017〕1号, or 罗办发, and
    finds the document as by a word of its title. (Only indexed: the title
    shown is the title.)"""
    title = normalize(doc.title, doc.title_simplified)
    number = normalize(doc.doc_number)
    if title[1] is None and number[1] is None:
        return index_tokens(f"{doc.title}\n{doc.doc_number}", normalized=(f"{title[0]}\n{number[0]}", None))
    return index_tokens(f"{doc.title}\n{doc.doc_number}")


_PACKED = b"RST1"  # the kept-tokens format: magic, count, words length, words, numbers
_HEADER = struct.Struct("<4sII")


def pack_tokens(tokens: Tokens) -> bytes:
    """Tokens as an index keeps them: the words (UTF-8, joined) and the
    numbers (little-endian 32-bit), behind a small header."""
    if not isinstance(tokens, Tokens):
        tokens = Tokens.of(tokens)
    if tokens.packed is None:
        words = _SEP.join(tokens.words).encode("utf-8")
        numbers = tokens.numbers
        if sys.byteorder != "little":
            numbers = array("i", numbers)
            numbers.byteswap()
        tokens.packed = _HEADER.pack(_PACKED, len(tokens.words), len(words)) + words + numbers.tobytes()
    return tokens.packed


def unpack_tokens(data: bytes | None) -> Tokens | None:
    """None for an index written before tokens were kept, or damaged data:
    highlighting then segments the text again. Nothing in the data is ever
    run: it is two buffers and two counts, checked against each other."""
    if not data:
        return None
    try:
        data = bytes(data)
        magic, count, size = _HEADER.unpack_from(data)
        start = _HEADER.size
        if magic != _PACKED or len(data) != start + size + 12 * count:
            return None
        words = data[start:start + size].decode("utf-8").split(_SEP) if count else []
        numbers = array("i")
        numbers.frombytes(data[start + size:])
        if sys.byteorder != "little":
            numbers.byteswap()
    except (struct.error, UnicodeDecodeError, ValueError):
        return None
    return Tokens(words, numbers, data) if len(words) == count else None


def ensure_analysed(doc) -> None:
    """For a caller of an engine that did not analyse (the indexer always
    has, in its worker processes)."""
    if doc.title_tokens is None or any(c.tokens is None or c.chars is None for c in doc.chunks):
        analyse_document(doc)
