"""Characters a lossy GBK byte path merged or dropped, put back only with evidence.

Some of our scrapes went through a GBK byte stream that lost bytes. Two kinds
of trace are left once ``repair`` has realigned the runs:

1. A *merged* character: the bytes between one character's lead byte and a
   later character's trail byte were lost, so the two ends make a character
   of their own. ``三）`` (C8 FD A3 A9) reads ``醛`` (C8 A9), ``更新`` (B8 FC
   D0 C2) reads ``嘎`` (B8 C2), ``政府投`` reads ``斩``.
2. A *lost* character: its lead byte became ``?``. When the run after it was
   realigned we know its trail byte (the byte dropped); after an orphan
   annotation we know nothing.

A candidate must fit the bytes and have evidence: the document's own text
has it in the same surroundings (a phrase of this document), the dictionary
knows the words it makes, or the heading numbering says which numeral it is;
and it must be the only such candidate. Nothing is guessed: a merged
character without evidence stays as it is (it may be a real character) —
unless it stands inside a realigned run, where bytes are known to be lost,
and reads as no word; that one, and a lost character, is shown as
``LOST_MARK`` and counted.

Placeholders carry what ``repair`` knew about a lost character to this pass,
which needs the whole cleaned document as evidence: ``lost_with_trail(b)``
and ``LOST_UNKNOWN``, code points of plane 15's private-use area that no
document of ours holds (``clear_placeholders`` makes sure of that).
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict

LOST_MARK = "〓"  # a character lost before we got the text: shown as missing, never guessed
_TRAIL_BASE = 0xF0000
LOST_UNKNOWN = chr(_TRAIL_BASE + 0x100)
PLACEHOLDERS = f"{chr(_TRAIL_BASE)}-{LOST_UNKNOWN}"  # as a regular expression's character range
_PLACEHOLDER = re.compile(f"[{PLACEHOLDERS}]")
RUN_START, RUN_END = chr(_TRAIL_BASE + 0x101), chr(_TRAIL_BASE + 0x102)  # around a realigned run
_ANY_MARK = re.compile(f"[{chr(_TRAIL_BASE)}-{RUN_END}]")

# The numerals of enumerated headings, by their GBK lead byte (all differ).
_NUMERALS = "一二三四五六七八九十"
NUMERAL_BY_LEAD = {n.encode("gbk")[0]: n for n in _NUMERALS}
_CLOSE_TRAIL = "）".encode("gbk")[1]

MIN_CONTEXT = 3  # characters around a candidate that must match the document
SINGLE_WORD_FREQ = 3000  # a character this common in jieba's dictionary may stand alone
MAX_MERGED = 4  # characters one merged character may stand for


def lost_with_trail(byte: int) -> str:
    return chr(_TRAIL_BASE + byte)


def clear_placeholders(text: str) -> str:
    """A document's own plane-15 private-use characters are garbage to us and
    would be read as placeholders: they are marked lost before repair starts."""
    return _ANY_MARK.sub(LOST_MARK, text) if _ANY_MARK.search(text) else text


def _take_runs(text: str) -> tuple[str, list[bool]]:
    """``text`` without the run marks, and for each character whether it is
    inside a realigned run."""
    if RUN_START not in text:
        return text, [False] * len(text)
    out, inside, now = [], [], False
    for ch in text:
        if ch == RUN_START:
            now = True
        elif ch == RUN_END:
            now = False
        else:
            out.append(ch)
            inside.append(now)
    return "".join(out), inside


def _cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff"


def _gbk(ch: str) -> bytes | None:
    """A Chinese character's two GBK bytes (None for anything else)."""
    if not _cjk(ch):
        return None
    try:
        b = ch.encode("gbk")
    except UnicodeEncodeError:
        return None
    return b if len(b) == 2 else None


class _Evidence:
    """The document as evidence: its characters' GBK bytes, indexes of where
    each stands beside which bytes, and the dictionary's words."""

    def __init__(self, text: str):
        from search import analysis, segmenter

        self.text = text
        self.freq = segmenter.tokenizer().FREQ
        self.simplify = analysis.to_simplified
        simp = self.simplify(text)
        self.simp = simp if len(simp) == len(text) else "".join(self.simplify(c) for c in text)
        self.codes = [_gbk(c) for c in text]
        self.trigrams = Counter(text[p : p + 3] for p in range(len(text) - 2))
        self.after_left = defaultdict(list)  # (char, lead byte of the next char) -> positions of char
        self.before_right = defaultdict(list)  # (trail byte of a char, next char) -> positions of that char
        for p in range(len(text) - 1):
            nxt = self.codes[p + 1]
            if nxt:
                self.after_left[(text[p], nxt[0])].append(p)
            here = self.codes[p]
            if here:
                self.before_right[(here[1], text[p + 1])].append(p)

    def suspect(self, i: int) -> bool:
        """Whether ``text[i]`` may be merged: no dictionary word of 2–4
        characters goes through it, and the document does not have it between
        the same neighbours elsewhere (damage does not repeat itself)."""
        if 0 < i < len(self.text) - 1 and self.trigrams[self.text[i - 1 : i + 2]] > 1:
            return False
        if self.freq.get(self.simp[i], 0) >= SINGLE_WORD_FREQ:
            return False  # a word of its own (将, 向, 的): it stands alone in clean text
        return not self.in_word(i)

    def in_word(self, i: int) -> bool:
        """Whether the dictionary has a word of 2–4 characters through ``i``."""
        return self.word_through(self.simp, i, (2, 3, 4))

    def word_through(self, s: str, i: int, sizes) -> bool:
        """Whether the dictionary has a word of one of ``sizes`` in ``s`` that
        covers position ``i``."""
        for size in sizes:
            for start in range(max(0, i - size + 1), min(i, len(s) - size) + 1):
                if self.freq.get(s[start : start + size]):
                    return True
        return False

    def words_hold(self, left: str, cand: str, right: str) -> bool:
        """Every character of ``cand`` is inside a dictionary word of the
        simplified ``left + cand + right`` (the candidate reads as words)."""
        s = self.simplify(left + cand + right)
        if len(s) != len(left) + len(cand) + len(right):
            return False
        lo, hi = len(left), len(left) + len(cand)
        covered = [False] * len(s)
        for size in (4, 3, 2):
            for start in range(0, len(s) - size + 1):
                if self.freq.get(s[start : start + size]):
                    for k in range(start, start + size):
                        covered[k] = True
        return all(covered[lo:hi])

    def context(self, i: int, j: int, start: int, end: int) -> tuple[int, int]:
        """How many characters around the damage ``text[i:j]`` match those
        around ``text[start:end]``: (left, up to 2; right, up to 3)."""
        t = self.text
        left = right = 0
        for k in (1, 2):
            if start - k < 0 or i - k < 0 or t[start - k] != t[i - k] or not _cjk(t[i - k]):
                break
            left += 1
        for k in range(3):
            if end + k >= len(t) or j + k >= len(t) or t[end + k] != t[j + k] or not _cjk(t[j + k]):
                break
            right += 1
        return left, right

    def surroundings(self, i: int, j: int) -> tuple[str, str]:
        t = self.text
        left = t[max(0, i - 2) : i]
        while left and not _cjk(left[0]):
            left = left[1:]
        right = t[j : j + 2]
        while right and not _cjk(right[-1]):
            right = right[:-1]
        return left, right

    def merged_candidates(self, i: int) -> dict[str, tuple[int, int]]:
        """Strings of 2..MAX_MERGED characters elsewhere in the document that
        begin with the lead byte and end with the trail byte of ``text[i]``,
        with the best context each has."""
        t, codes = self.text, self.codes
        lead, trail = codes[i]
        found: dict[str, tuple[int, int]] = {}

        def consider(start: int, end: int):
            if start <= i < end or start < 0 or end > len(t):
                return
            cand = t[start:end]
            if t[i] in (cand[0], cand[-1]):
                return  # then only one byte of the character is evidence
            if not all(codes[k] and _cjk(t[k]) for k in range(start, end)):
                return
            if codes[start][0] != lead or codes[end - 1][1] != trail:
                return
            score = self.context(i, i + 1, start, end)
            if score > found.get(cand, (-1, -1)):
                found[cand] = score

        if i > 0:
            for p in self.after_left.get((t[i - 1], lead), ()):
                for size in range(2, MAX_MERGED + 1):
                    consider(p + 1, p + 1 + size)
        if i + 1 < len(t):
            for q in self.before_right.get((trail, t[i + 1]), ()):
                for size in range(2, MAX_MERGED + 1):
                    consider(q + 1 - size, q + 1)
        return found

    def lost_candidates(self, i: int, trail: int | None) -> dict[str, tuple[int, int]]:
        """Characters with this trail byte (any character when it is not
        known) that stand elsewhere in the document between the same
        neighbours, with the best context each has."""
        t = self.text
        found: dict[str, tuple[int, int]] = {}
        starts = []
        if i > 0 and _cjk(t[i - 1]):
            starts += [p + 1 for p in range(len(t) - 1) if t[p] == t[i - 1]]
        if i + 1 < len(t) and _cjk(t[i + 1]):
            starts += [q - 1 for q in range(1, len(t)) if t[q] == t[i + 1]]
        for s in starts:
            if s == i or s < 0 or s >= len(t) or not _cjk(t[s]):
                continue
            code = self.codes[s]
            if not code or (trail is not None and code[1] != trail):
                continue
            score = self.context(i, i + 1, s, s + 1)
            if score > found.get(t[s], (-1, -1)):
                found[t[s]] = score
        return found

    def dictionary_lost(self, i: int, trail: int) -> set[str]:
        """Characters with this trail byte that make a dictionary word of
        three or more characters with their neighbours."""
        left, right = self.surroundings(i, i + 1)
        out = set()
        for lead in range(0x81, 0xFF):
            try:
                ch = bytes([lead, trail]).decode("gbk")
            except UnicodeDecodeError:
                continue
            if not _cjk(ch):
                continue
            if self.word_through(self.simplify(left + ch + right), len(left), (3, 4)):
                out.add(ch)
        return out


def _choose(found: dict[str, tuple[int, int]], holds, min_context: int, one_side: bool) -> str | None:
    """The one candidate with evidence, or None when there is none or two
    tie. Evidence: the dictionary has its words (``holds``) and the document
    has it with ``min_context`` of the same characters around it, or (when
    ``one_side`` is false) with the same character on each side."""
    good = []
    for cand, (left, right) in found.items():
        score = left + right
        if (score >= min_context or (left and right and not one_side)) and holds(cand):
            good.append((score, cand))
    if not good:
        return None
    good.sort(reverse=True)
    if len(good) > 1 and good[1][0] == good[0][0]:
        return None
    return good[0][1]


def _heading_numerals(ev: _Evidence, text: str) -> dict[int, str]:
    """Headings ``（X`` whose X is a merged ``N）``, as {position of X: "N）"}:
    X's bytes must say N (lead byte of a numeral, trail byte of ``）``) and
    the heading before it, recovered or not, must make N the next number
    (or N is the first)."""
    out: dict[int, str] = {}
    last = None
    for m in re.finditer(r"^[ \t\u3000]*[（(](.)([一二三四五六七八九十]*[）)])?", text, re.M):
        if m.group(2) is not None and m.group(1) in _NUMERALS:
            last = m.group(1)
            continue
        at = m.start(1)
        code = ev.codes[at]
        if not code or code[1] != _CLOSE_TRAIL or code[0] not in NUMERAL_BY_LEAD:
            continue
        numeral = NUMERAL_BY_LEAD[code[0]]
        expected = {"一"} | ({_NUMERALS[_NUMERALS.index(last) + 1]} if last and last != "十" else set())
        if numeral in expected:
            out[at] = numeral + "）"
            last = numeral
    return out


def _apply(text: str, in_run: list[bool], replace: dict[int, str]) -> tuple[str, list[bool]]:
    out, inside = [], []
    for i, ch in enumerate(text):
        piece = replace.get(i, ch)
        out.append(piece)
        inside.extend([in_run[i]] * len(piece))
    return "".join(out), inside


def recover(text: str, report, lossy: bool = False) -> str:
    """Resolve the merged characters the evidence supports, then mark what is
    still damage inside realigned runs, then resolve the placeholders
    ``repair`` left. A document without a lossy byte path's traces (no
    realigned run, no placeholder, ``lossy`` false) is returned unchanged:
    merged characters are looked for only where bytes are known to have
    been lost."""
    if not lossy and not _ANY_MARK.search(text):
        return text
    text, in_run = _take_runs(text)
    ev = _Evidence(text)
    replace = _heading_numerals(ev, text)
    for i, ch in enumerate(text):
        if i in replace or not ev.codes[i] or not _cjk(ch) or not ev.suspect(i):
            continue
        found = ev.merged_candidates(i)
        left, right = ev.surroundings(i, i + 1)
        pick = _choose(found, lambda c: ev.words_hold(left, c, right), MIN_CONTEXT, False) if found else None
        if pick:
            replace[i] = pick
    report.merged_recovered += len(replace)
    if replace:
        text, in_run = _apply(text, in_run, replace)
        ev = _Evidence(text)

    replace = {}
    for i, ch in enumerate(text):
        # inside a run we know bytes were lost: a character that reads as
        # no word and is not common enough to stand alone is damage, not text
        if in_run[i] and ev.codes[i] and _cjk(ch) and ev.suspect(i):
            replace[i] = LOST_MARK
            report.lost_characters += 1

    for m in _PLACEHOLDER.finditer(text):
        i = m.start()
        code = ord(m.group()) - _TRAIL_BASE
        trail = code if code < 0x100 else None
        left, right = ev.surroundings(i, i + 1)
        # with its trail byte known a lost character is one of ~126: one
        # neighbour in a dictionary word is evidence; without it, three
        pick = _choose(ev.lost_candidates(i, trail), lambda c: ev.words_hold(left, c, right),
                       1 if trail is not None else MIN_CONTEXT, trail is None)
        if pick is None and trail is not None:
            known = ev.dictionary_lost(i, trail)
            pick = next(iter(known)) if len(known) == 1 else None
        if pick:
            report.lost_recovered += 1
        else:
            report.lost_characters += 1
        replace[i] = pick or LOST_MARK
    return _apply(text, in_run, replace)[0] if replace else text
