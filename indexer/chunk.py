"""Paragraph-level chunks with their section heading path.

Headings are recognised by their shape, because scraped pages keep no markup:
``一、`` (level 1), ``（一）`` (level 2), markdown ``#``, law ``第X章/节``, the
``亮点N`` markers of news features, and short lines without sentence
punctuation (news sub-titles; consecutive ones form one heading). A paragraph
that opens with a short sentence (``深化经济领域改革。…``) carries that sentence
as its innermost heading. Headings are not chunks themselves; their text is
indexed with every paragraph below them, and a heading with no paragraph
below it is a paragraph of its own, so no line a reader sees is lost.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import dates

MAX_CHUNK = 600
HARD_SPLIT = 500
SHORT_HEADING = 25
RUN_IN_HEADING = 25
MAX_MD_HEADING = 120

_LEVEL1 = re.compile(r"^[一二三四五六七八九十百]+[、.．]")
_LEVEL2 = re.compile(r"^[（(][一二三四五六七八九十百]+[）)]")
_LAW_PART = re.compile(r"^第[一二三四五六七八九十百千零〇\d]+\s*([编章节])")
_MARKER = re.compile(r"^亮点\s*[0-9一二三四五六七八九十]+$")
_ENUMERATION = re.compile(r"^[一二三四五六七八九十]+是")  # 一是…二是…: siblings under the heading above
ENUMERATION_LEVEL = 9  # below every structured heading, so an item never closes one
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
    # the text in simplified script, when its line's was at hand (the
    # document's lines are converted once, together); None: convert it
    simplified: str | None = None

    @property
    def section(self) -> str:
        return self.section_path[-1] if self.section_path else ""


def _heading(line: str, kind: str) -> tuple[int, str] | None:
    """``(level, shape)`` of a heading line (its simplified form: 第一編 and
    亮點 are headings like 第一编 and 亮点), or None for a paragraph. ``shape`` is
    'short' for a bare short line, 'marker' for 亮点N, 'structured' otherwise.
    A Markdown ``#`` line longer than any heading is a paragraph (a page
    scraped onto one line that starts with its title)."""
    if kind == "markdown":
        m = _MD_HEADING.match(line)
        if m and len(line) <= MAX_MD_HEADING:
            return len(m.group(1)), "structured"
    if dates.acts(line) or dates.only_a_day(line):
        return None  # 2020年1月1日 施行, a signature's date: what the document records, never a heading
    size = len(line)
    if _MARKER.match(line):
        return 1, "marker"
    if _ENUMERATION.match(line) and size <= SHORT_HEADING and not _SENTENCE_END.search(line):
        return ENUMERATION_LEVEL, "structured"
    m = _LAW_PART.match(line)
    if m and size <= 40 and not _SENTENCE_END.search(line):
        return {"编": 1, "章": 2, "节": 3}[m.group(1)], "structured"
    # an enumerated line that ends like a sentence or a clause (（三）未依法处理举报的；)
    # is an item of a list, not a heading
    item = _SENTENCE_END.search(line) or line.endswith(("，", ",", "：", ":"))
    if _LEVEL1.match(line) and size <= 40 and not item:
        return 1, "structured"
    if _LEVEL2.match(line) and size <= 40 and not item:
        return 2, "structured"
    if _LAW_ARTICLE.match(line):
        return None
    if size <= SHORT_HEADING and not _SENTENCE_END.search(line) and not line.endswith(("，", ",", "：", ":")):
        return 1, "short"
    return None


def _heading_text(line: str, kind: str) -> str:
    if kind == "markdown":
        m = _MD_HEADING.match(line)
        if m and len(line) <= MAX_MD_HEADING:
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


class _Outline:
    """The chunks made so far and the headings open above the next line: a
    paragraph is emitted once (a repeat of a line is dropped), split when
    long, under the path of the headings open; a heading closed with no
    paragraph under it becomes paragraphs itself."""

    def __init__(self):
        self.chunks: list[Chunk] = []
        self.stack: list[_Heading] = []
        self.seen: set[str] = set()
        self.paragraph = 0

    def emit(self, text: str, path: list[str], simplified: str | None = None) -> None:
        key = _norm(text)
        if not key or key in self.seen:
            return
        self.seen.add(key)
        self.paragraph += 1
        pieces = split_long(text)
        # a split keeps every character in order: the simplified pieces are
        # the same slices (t2s kept the length, or they are not known)
        whole = simplified is not None and len(simplified) == len(text) and "".join(pieces) == text
        at = 0
        for part, piece in enumerate(pieces, 1):
            simp = simplified[at:at + len(piece)] if whole else None
            at += len(piece)
            self.chunks.append(Chunk(self.paragraph, part, piece, list(path), simp))

    def pop(self) -> None:
        head = self.stack.pop()
        if not head.covered:
            for text in head.lines:
                self.emit(text, [h.text for h in self.stack])


@dataclass
class _Heading:
    level: int
    text: str
    lines: list[str]  # the lines it was made of (a title and its sub-title are one heading)
    covered: bool = False  # a paragraph stood under it


_MD_LIST = re.compile(r"^(?:[-*+]|\d{1,3}[.)])\s+(.*)$")
_MD_TABLE_RULE = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?$")


def _markdown_body(line: str) -> str | None:
    """A Markdown list item or table row as its text (never a heading: short
    items would otherwise be taken for headings and vanish); '' for a table's
    rule line, which carries no text; None for any other line."""
    if _MD_TABLE_RULE.match(line):
        return ""
    if line.startswith("|") and line.count("|") >= 2:
        return " | ".join(cell.strip() for cell in line.strip("|").split("|") if cell.strip())
    m = _MD_LIST.match(line)
    return m.group(1).strip() if m else None


def chunk_lines(lines: list[str], kind: str = "text", title: str = "",
                levels: list[int | None] | None = None, simplified: list[str] | None = None) -> list[Chunk]:
    """Paragraphs with their heading paths. Every line survives as text a
    search can find: a heading with no paragraph under it (a plan's item
    with no body, a table of contents) becomes a paragraph itself, line by
    line, under the headings above it. ``levels``, from a format that knows
    its structure (a DOCX's heading styles), says per line: a heading of
    that level, 0 a paragraph whatever its shape (a table row), None: judge
    by its shape as in plain text. ``simplified``: each line in simplified
    script, which headings are recognised by (the text kept is the line's own)."""
    out = _Outline()
    chunks, stack, emit, pop = out.chunks, out.stack, out.emit, out.pop
    title_key = _norm(title)

    title_lines: list[str] = []  # lines left out because they repeat the title
    previous_shape = None  # shape of the heading on the line before, if any
    for number, line in enumerate(lines):
        if kind == "markdown":
            body = _markdown_body(line)
            if body is not None:
                previous_shape = None
                if body:
                    for h in stack:
                        h.covered = True
                    emit(body, [h.text for h in stack])
                continue
        known = levels[number] if levels is not None else None
        if known is None:
            heading = _heading(simplified[number] if simplified is not None else line, kind)
            text = _heading_text(line, kind)
        else:
            heading = (known, "structured") if known else None
            text = line
        if heading is not None and title_key and _norm(text) == title_key and not chunks:
            title_lines.append(text)
            continue  # the title repeated at the top
        if heading is not None:
            level, shape = heading
            if stack and (previous_shape == "marker" or (previous_shape == "short" and shape == "short")):
                # 亮点3 + its title, or a title + sub-title: one heading
                stack[-1].text += " " + text
                stack[-1].lines.append(text)
            else:
                while stack and stack[-1].level >= level:
                    pop()
                stack.append(_Heading(level, text, [text]))
            previous_shape = shape
            continue
        previous_shape = None
        if _norm(line) == title_key and number == 0 and len(lines) > 1:
            title_lines.append(line)
            continue
        if kind == "markdown" and known is None and line.startswith("#"):
            line = _MD_HEADING.match(line).group(2)  # too long for a heading: a paragraph
        for h in stack:
            h.covered = True
        path = [h.text for h in stack]
        lead = run_in_heading(line)
        simp = simplified[number] if simplified is not None and line is lines[number] else None
        emit(line, path + [lead] if lead else path, simp)
    while stack:
        pop()
    if not chunks:  # a document that is its title alone (普通文件营商环境): the title is its text
        for text in title_lines:
            emit(text, [])
    return chunks
