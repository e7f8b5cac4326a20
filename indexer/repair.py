"""Undoing the two kinds of damage our scrapes carry, before anything else reads the text.

1. GBK mojibake from a one-byte misalignment. A lost lead byte shows as ``?``
   and every following pair of GBK bytes is read one byte late, e.g.
   ``?。ㄒ唬┮詥栴}`` for ``（一）以問題``. Re-encoding the run as GBK, dropping its
   first byte and decoding again restores it. The run ends where the stream
   realigns: an ASCII trail byte (``}``), or a ``?`` that swallowed the next
   ASCII byte (typically the ``(`` of a pinyin annotation). Half-width
   punctuation inside a run was full-width before a later NFKC pass, so it is
   mapped back before re-encoding. A repair is kept only when its characters are
   more typical of the document than the damaged ones.
2. Text that was UTF-8 but was read as GBK (``鍏ㄩ潰娣卞寲``) or as Latin-1 /
   Windows-1252 (``æ·±åŒ–``) once, upstream: encoded back the way it was
   misread and decoded as UTF-8 — the whole text when it all was, else line
   by line — kept only when that decodes cleanly and reads as Chinese.
3. Pinyin annotations: ``區(qū)`` → ``區``. Only a parenthesised run of Latin
   letters with a tone mark directly after a CJK character is removed, so real
   parentheses such as ``(牽頭單位:區(qū)編辦)`` survive.

Character positions are not preserved here on purpose: this produces the
document's *original text* as we index and display it.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from . import recover

_TONE = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
_PINYIN_BODY = rf"[a-zü{_TONE}]*[{_TONE}][a-zü{_TONE}]*"
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
ANNOTATION = re.compile(rf"(?<=[{_CJK}])\(({_PINYIN_BODY})\)")
_ANNOTATED_CHAR = re.compile(rf"([{_CJK}])\(({_PINYIN_BODY})\)")
_ORPHAN_ANNOTATION = re.compile(rf"\?{_PINYIN_BODY}\)")
# after an unrepaired mojibake run that ended on an ASCII trail byte (嚓P(guān))
_TRAIL_ANNOTATION = re.compile(rf"(?<=[{_CJK}][\x40-\x7e])\({_PINYIN_BODY}\)")
_ANNOTATION_AFTER_RUN = re.compile(re.escape(recover.RUN_END) + rf"(\({_PINYIN_BODY}\))")
_LOST_WITH_PINYIN = re.compile(rf"\?({_PINYIN_BODY})\)")

# Half-width forms a later NFKC pass made of full-width GBK punctuation.
_UNFOLD = {" ": "\u3000"}
_UNFOLD.update({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x40) if c != 0x3F})


@dataclass
class RepairReport:
    mojibake_runs: int = 0
    mojibake_unrepaired: int = 0
    annotations: int = 0
    lost_characters: int = 0  # shown as LOST_MARK
    merged_recovered: int = 0  # merged characters put back from evidence (recover.py)
    lost_recovered: int = 0  # lost characters put back from evidence
    misread_lines: int = 0  # lines decoded again as the UTF-8 they were
    notes: list[str] = field(default_factory=list)


def _gbk_ok(ch: str) -> bool:
    try:
        return len(ch.encode("gbk")) == 2
    except UnicodeEncodeError:
        return False


def _scan_run(text: str, i: int):
    """From index ``i`` (just after a ``?``): the run's characters, where it ends,
    and how: 'trail' (ASCII trail byte included), 'lost' (a ``?pinyin)`` follows)
    or 'plain'."""
    chars: list[str] = []
    j = i
    n = len(text)
    while j < n:
        ch = text[j]
        if ord(ch) > 0x7F and _gbk_ok(ch):
            chars.append(ch)
            j += 1
            continue
        if ch in _UNFOLD and j + 1 < n and ord(text[j + 1]) > 0x7F:
            chars.append(_UNFOLD[ch])
            j += 1
            continue
        if ch == "?" and chars and _LOST_WITH_PINYIN.match(text, j):
            return chars, j, "lost"
        if 0x40 <= ord(ch) <= 0x7E and chars:
            chars.append(ch)
            return chars, j + 1, "trail"
        break
    return chars, j, "plain"


_common_chars: frozenset[str] | None = None


def _common() -> frozenset[str]:
    """Characters that make up ordinary Chinese words (from jieba's dictionary,
    in both scripts): mojibake is made of bopomofo, box drawing and rare
    characters that seldom are."""
    global _common_chars
    if _common_chars is None:
        from search import analysis, segmenter

        weight: Counter = Counter()
        for word, f in segmenter.tokenizer().FREQ.items():
            if f:
                for ch in word:
                    weight[ch] += f
        simp = {c for c, w in weight.items() if w >= 2000}
        joined = "".join(sorted(simp))
        # add the traditional forms whose simplified form is common
        trad = set()
        for start in range(0x4E00, 0x9FA6):
            ch = chr(start)
            if ch not in simp and analysis.to_simplified(ch) in simp:
                trad.add(ch)
        _common_chars = frozenset(simp | trad | set(joined) | set("（）《》“”，。、；：！？"))
    return _common_chars


def _typicality(s: str) -> float:
    letters = [c for c in s if ord(c) > 0x7F]
    if not letters:
        return 0.0
    common = _common()
    return sum(1 for c in letters if c in common) / len(letters)


def _pinyin_map(text: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for m in _ANNOTATED_CHAR.finditer(text):
        out.setdefault(m.group(2), set()).add(m.group(1))
    return out


def _realign(text: str, start: int, report: RepairReport):
    """The run from ``start`` (its lead byte lost at a ``?`` before it) read
    again one byte later: (fixed text, the byte dropped, the dangling last
    byte, where the run ends, how it ends), or None when the reading is not
    more typical of Chinese than the damage."""
    chars, end, how = _scan_run(text, start)
    if len(chars) < 2:
        return None
    encoded = "".join(chars).encode("gbk", errors="replace")
    raw = encoded[1:]
    dangling = b""
    fixed = raw.decode("gbk", errors="replace")
    if fixed.endswith("\ufffd") and len(raw) % 2 == 1:
        dangling = raw[-1:]
        fixed = raw[:-1].decode("gbk", errors="replace")
    fixed = fixed.replace("\ufffd", "")  # a byte pair no character has: junk, not a character
    if not fixed or _typicality(fixed) <= _typicality(text[start:end]) + 0.2:
        report.mojibake_unrepaired += 1
        return None
    return fixed, encoded[0], dangling, end, how


def _at_line_start(text: str, q: int) -> bool:
    return q == 0 or text[q - 1] == "\n"


def _lost_lead(text: str, q: int, dropped: int) -> str:
    """The character whose lead byte became the ``?`` at ``q`` and whose trail
    byte was ``dropped``: at a line's start a trail byte A1 is the ideographic
    space of the indent (whitespace, nothing lost); else a placeholder that
    ``recover`` resolves from evidence or marks lost."""
    if dropped == 0xA1 and _at_line_start(text, q):
        return ""
    return recover.lost_with_trail(dropped)


def repair_mojibake(text: str, report: RepairReport | None = None) -> str:
    if "?" not in text:
        return text
    report = report if report is not None else RepairReport()
    readings = None
    out: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        q = text.find("?", i)
        if q < 0:
            out.append(text[i:])
            break
        out.append(text[i:q])
        start = q + 1
        annotated = _LOST_WITH_PINYIN.match(text, q)
        after = annotated.end() if annotated else 0
        if annotated and after + 1 < n and 0x40 <= ord(text[after]) <= 0x7E and ord(text[after + 1]) > 0x7F:
            # ``?xùn)|門``: the lost character's trail byte came through as ASCII
            out.append(recover.lost_with_trail(ord(text[after])))
            i = after + 1
            continue
        if annotated and not _scan_run(text, start)[0]:
            # ``?guī)旌推…``: an annotation was put on the garbled character
            # before it became ``?``; the run starts after it
            start = annotated.end()
        found = _realign(text, start, report)
        if found is None:
            out.append("?")
            i = q + 1
            continue
        fixed, dropped, dangling, end, how = found
        report.mojibake_runs += 1
        out.append(_lost_lead(text, q, dropped))
        if fixed.count("（") > fixed.count("）"):  # an enumeration such as （一） cut off
            if dangling == b"\xa3":
                fixed += "）"  # the lead byte of its closing bracket
            elif (dangling and fixed.endswith("（") and dangling[0] in recover.NUMERAL_BY_LEAD
                  and _at_line_start(text, q)):
                fixed += recover.NUMERAL_BY_LEAD[dangling[0]] + "）"  # a heading's numeral, by its lead byte
        out.append(recover.RUN_START + fixed + recover.RUN_END)
        i = end
        if how == "lost":
            m = _LOST_WITH_PINYIN.match(text, end)
            if readings is None:
                readings = _pinyin_map(text)
            # The document itself says which character reads this way.
            candidates = readings.get(m.group(1), set())
            if len(candidates) == 1:
                out.append(next(iter(candidates)) + "(" + m.group(1) + ")")
            else:
                out.append(recover.LOST_UNKNOWN)
            i = m.end()
    return "".join(out)


MISREAD_AS = ("gb18030", "windows-1252")  # how UTF-8 bytes were wrongly read
# Windows-1252 as browsers and scrapers read it: its five unassigned bytes
# become the control characters of the same number (so Latin-1 is one case)
_CP1252_BYTES = {}
for _b in range(0x80, 0xA0):
    try:
        _CP1252_BYTES[bytes([_b]).decode("cp1252")] = _b
    except UnicodeDecodeError:
        pass


def _encode_misread(text: str, encoding: str) -> bytes:
    if encoding != "windows-1252":
        return text.encode(encoding)
    out = bytearray()
    for ch in text:
        b = _CP1252_BYTES.get(ch)
        if b is None:
            b = ord(ch)
            if b > 0xFF:
                raise UnicodeEncodeError(encoding, ch, 0, 1, "not a byte")
        out.append(b)
    return bytes(out)


_MISREAD_HINT = re.compile(r"[\u0080-\u00ff]{2}|[鍏娣鏀瀵鐨锛銆绋浠闂缁鎴鍙瀛浜鏈璇妯閮鍦]")


LOST_MARK = recover.LOST_MARK


def _reread(text: str, report: RepairReport) -> str | None:
    """``text`` as the UTF-8 it was before it was misread, or None. Bytes the
    misreading already lost (shown as U+FFFD) cost the characters they were
    part of — UTF-8 finds its step again at the next one — and each lost
    character is marked ``LOST_MARK``."""
    for encoding in MISREAD_AS:
        try:
            fixed = _encode_misread(text.replace("\ufffd", ""), encoding).decode("utf-8", errors="replace")
        except UnicodeEncodeError:
            continue
        lost = 0
        if "\ufffd" in fixed:
            fixed = re.sub("\ufffd+", LOST_MARK, fixed)
            lost = fixed.count(LOST_MARK)
        if fixed != text and lost * 4 <= len(fixed) and _typicality(fixed) > max(0.7, _typicality(text) + 0.2):
            report.lost_characters += lost
            return fixed
    return None


def repair_misread(text: str, report: RepairReport | None = None) -> str:
    report = report if report is not None else RepairReport()
    if not _MISREAD_HINT.search(text):
        return text
    whole = _reread(text, report)
    if whole is not None:
        report.misread_lines += whole.count("\n") + 1
        return whole
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if _MISREAD_HINT.search(line):
            fixed = _reread(line, report)
            if fixed is not None:
                lines[i] = fixed
                report.misread_lines += 1
    return "\n".join(lines)


def strip_annotations(text: str, report: RepairReport | None = None) -> str:
    count = 0

    def drop(_m):
        nonlocal count
        count += 1
        return ""

    text = ANNOTATION.sub(drop, text)
    # An annotation whose character was lost to mojibake is damage, not text:
    # the character is lost.
    text = _ORPHAN_ANNOTATION.sub(recover.LOST_UNKNOWN, text)
    text, trailing = _TRAIL_ANNOTATION.subn("", text)
    count += trailing
    if report is not None:
        report.annotations += count
    return text


# A ``?`` between a Chinese character and punctuation is a lost character
# (a question mark ends a sentence; it is not followed by a comma).
_LOST_QUESTION = re.compile(rf"(?<=[{_CJK}{recover.PLACEHOLDERS}])\?(?=[,，、;；:：.。])")


def repair(text: str, report: RepairReport | None = None) -> str:
    """Misread UTF-8 first (it hides everything else), then the GBK runs
    (they contain annotations), then annotations, then the characters the
    byte loss merged or dropped (they need the rest clean as evidence)."""
    report = report if report is not None else RepairReport()
    text = recover.clear_placeholders(text)
    runs_before = report.mojibake_runs
    text = repair_mojibake(repair_misread(text, report), report)
    if recover.RUN_END in text:  # an annotation after a run belongs to its last character
        text = _ANNOTATION_AFTER_RUN.sub(r"\1" + recover.RUN_END, text)
    text = strip_annotations(text, report)
    if "?" in text:
        text = _LOST_QUESTION.sub(recover.LOST_UNKNOWN, text)
    return recover.recover(text, report, lossy=report.mojibake_runs > runs_before)
