"""Paragraph-level chunks with their section heading path.

Headings are recognised by their shape, because scraped pages keep no markup:
``一、`` (level 1), ``（一）`` (level 2), markdown ``#``, law ``第X章/节``, the
``亮点N`` markers of news features, and short lines without sentence
punctuation (news sub-titles; consecutive ones form one heading). A paragraph
that opens with a short sentence (``深化经济领域改革。…``) carries that sentence
as its innermost heading. Headings are not chunks themselves; their text is
indexed with every paragraph below them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_CHUNK = 600
HARD_SPLIT = 500
SHORT_HEADING = 25
RUN_IN_HEADING = 25

_LEVEL1 = re.compile(r"^[一二三四五六七八九十百]+[、.．]")
_LEVEL2 = re.compile(r"^[（(][一二三四五六七八九十百]+[）)]")
_LAW_PART = re.compile(r"^第[一二三四五六七八九十百千零〇\d]+\s*([编章节])")
_MARKER = re.compile(r"^亮点\s*[0-9一二三四五六七八九十]+$")
_MD_HEADING = re.compile(r"^(#{1,6})\s*(.*)$")
_SENTENCE_END = re.compile(r"[。！？!?；;]")
_SENTENCE = re.compile(r"[^。！？!?；;]*[。！？!?；;]+[”」』）)]?|[^。！？!?；;]+$")
_LAW_ARTICLE = re.compile(r"^第[一二三四五六七八九十百千零〇\d]+\s*条")


@dataclass
class Chunk:
    paragraph: int  # 1-based paragraph number in the document
    part: int  # 1-based part of a split paragraph
    text: str
    section_path: list[str] = field(default_factory=list)

    @property
    def section(self) -> str:
        return self.section_path[-1] if self.section_path else ""


def _heading(line: str, kind: str) -> tuple[int, str] | None:
    """``(level, shape)`` of a heading line, or None for a paragraph. ``shape`` is
    'short' for a bare short line, 'marker' for 亮点N, 'structured' otherwise."""
    if kind == "markdown":
        m = _MD_HEADING.match(line)
        if m:
            return len(m.group(1)), "structured"
    size = len(line)
    if _MARKER.match(line):
        return 1, "marker"
    m = _LAW_PART.match(line)
    if m and size <= 40 and not _SENTENCE_END.search(line):
        return {"编": 1, "章": 2, "节": 3}[m.group(1)], "structured"
    if _LEVEL1.match(line) and size <= 40 and not _SENTENCE_END.search(line[:-1]):
        return 1, "structured"
    if _LEVEL2.match(line) and size <= 40 and not _SENTENCE_END.search(line[:-1]):
        return 2, "structured"
    if _LAW_ARTICLE.match(line):
        return None
    if size <= SHORT_HEADING and not _SENTENCE_END.search(line) and not line.endswith(("，", ",", "：", ":")):
        return 1, "short"
    return None


def _heading_text(line: str, kind: str) -> str:
    if kind == "markdown":
        m = _MD_HEADING.match(line)
        if m:
            return m.group(2).strip().strip("*").strip()
    return line


def run_in_heading(text: str) -> str | None:
    m = _SENTENCE_END.search(text)
    if not m or m.start() == 0 or m.start() > RUN_IN_HEADING or m.end() >= len(text) - 1:
        return None
    if m.group() != "。":
        return None
    return text[: m.start()]


def split_long(text: str, limit: int = MAX_CHUNK) -> list[str]:
    """Split at sentence ends into pieces of at most ``limit`` characters;
    a single sentence longer than that is cut every ``HARD_SPLIT`` characters."""
    if len(text) <= limit:
        return [text]
    pieces: list[str] = []
    current = ""
    for sentence in _SENTENCE.findall(text):
        while len(sentence) > limit:
            cut = sentence.rfind("，", 0, HARD_SPLIT)
            cut = cut + 1 if cut > HARD_SPLIT // 2 else HARD_SPLIT
            if current:
                pieces.append(current)
                current = ""
            pieces.append(sentence[:cut])
            sentence = sentence[cut:]
        if len(current) + len(sentence) > limit and current:
            pieces.append(current)
            current = ""
        current += sentence
    if current:
        pieces.append(current)
    return [p for p in pieces if p.strip()]


def _norm(s: str) -> str:
    return re.sub(r"[\W_]+", "", s)


def chunk_lines(lines: list[str], kind: str = "text", title: str = "") -> list[Chunk]:
    chunks: list[Chunk] = []
    stack: list[tuple[int, str]] = []  # (level, heading)
    seen: set[str] = set()
    title_key = _norm(title)
    paragraph = 0

    previous_shape = None  # shape of the heading on the line before, if any
    for number, line in enumerate(lines):
        heading = _heading(line, kind)
        text = _heading_text(line, kind)
        if heading is not None and title_key and _norm(text) == title_key and not chunks:
            continue  # the title repeated at the top
        if heading is not None:
            level, shape = heading
            if stack and (previous_shape == "marker" or (previous_shape == "short" and shape == "short")):
                # 亮点3 + its title, or a title + sub-title: one heading
                lvl, head = stack.pop()
                stack.append((lvl, head + " " + text))
            else:
                while stack and stack[-1][0] >= level:
                    stack.pop()
                stack.append((level, text))
            previous_shape = shape
            continue
        previous_shape = None
        key = _norm(line)
        if not key or key in seen or (key == title_key and number == 0 and len(lines) > 1):
            continue
        seen.add(key)
        paragraph += 1
        path = [h for _, h in stack]
        lead = run_in_heading(line)
        if lead:
            path = path + [lead]
        for part, piece in enumerate(split_long(line), 1):
            chunks.append(Chunk(paragraph, part, piece, list(path)))
    return chunks
