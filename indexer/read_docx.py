"""Word (DOCX) files: paragraphs and headings from the document's structure.

A heading style (``Heading 2``, ``标题 2``) or an outline level makes a
paragraph a heading of that level, so the section path is the author's own;
paragraphs in other styles are judged by their shape, as plain text is
(many official documents type ``一、`` headings in the body style). A table
is one paragraph per row, its cells joined; footnotes follow the body under
a heading 脚注. The title comes from the document's properties when set.

``python-docx`` reads the package (maintained, pure Python, the structure as
Word writes it); footnotes, which it does not expose, are read from their
part of the same package.
"""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

from search.text import ascii_int

from .skip import SkipFile

CELL_SEPARATOR = " | "
FOOTNOTES_HEADING = "脚注"
_HEADING_STYLE = re.compile(r"^(?:heading|标题)\s*([1-9])$", re.I)
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@dataclass
class DocxText:
    lines: list[str]
    levels: list[int | None]  # as chunk.chunk_lines takes them: a heading level, 0 a paragraph, None by shape
    title: str
    date: str | None = None  # the day the document was created, from its properties


# What a DOCX may unpack to. The file limit counts compressed bytes, and a
# package's XML compresses 30:1 in an ordinary file and 1000:1 in a zip bomb
# (730 KB on disk, 200 MB of document.xml), so the unpacked sizes are
# bounded too, before a byte is inflated: zipfile stops at the size an entry
# declares and refuses a lie by its checksum. python-docx reads every part
# into memory, and one megabyte of document.xml costs about half a second.
MAX_PART_BYTES = 32 * 1024 * 1024  # one unpacked part (document.xml, styles.xml, an image)
MAX_UNPACKED_BYTES = 128 * 1024 * 1024  # every part together
MAX_ENTRIES = 4000


def read_docx(data: bytes) -> DocxText:
    """The document's lines, or ``SkipFile`` naming what is wrong with the
    package: a DOCX is a zip of XML written by many programs, and anything
    python-docx cannot make sense of is a damaged file, never a failed run."""
    _check_package(data)
    try:
        return _read(data)
    except SkipFile:
        raise
    except Exception as exc:  # lxml's XMLSyntaxError, a missing part or attribute, a bad value
        raise SkipFile(f"damaged DOCX ({type(exc).__name__}: {str(exc)[:200]})") from None


def _check_package(data: bytes) -> None:
    try:
        entries = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise SkipFile(f"damaged DOCX (not a zip package: {exc})") from None
    if len(entries) > MAX_ENTRIES:
        raise SkipFile(f"DOCX with {len(entries)} parts (the limit is {MAX_ENTRIES}): not a document")
    biggest = max(entries, key=lambda e: e.file_size, default=None)
    if biggest is not None and biggest.file_size > MAX_PART_BYTES:
        raise SkipFile(f"DOCX too large when unpacked ({biggest.filename} is {biggest.file_size / 2**20:.1f} MB; "
                       f"the limit is {MAX_PART_BYTES // 2**20} MB)")
    total = sum(e.file_size for e in entries)
    if total > MAX_UNPACKED_BYTES:
        raise SkipFile(f"DOCX too large when unpacked ({total / 2**20:.1f} MB; "
                       f"the limit is {MAX_UNPACKED_BYTES // 2**20} MB)")


def _read(data: bytes) -> DocxText:
    import docx
    from docx.table import Table

    document = docx.Document(io.BytesIO(data))
    lines: list[str] = []
    levels: list[int | None] = []
    style_levels = _style_levels(document)

    def add(text: str, level: int | None) -> None:
        text = " ".join(text.split())
        if text:
            lines.append(text)
            levels.append(level)

    for block in document.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                cells = []
                for cell in row.cells:
                    text = " ".join(cell.text.split())
                    if text and (not cells or cells[-1] != text):  # a merged cell comes once per column it spans
                        cells.append(text)
                add(CELL_SEPARATOR.join(cells), 0)
        else:
            add(block.text, _heading_level(block, style_levels))
    notes = _footnotes(document)
    if notes:
        add(FOOTNOTES_HEADING, 1)
        for note in notes:
            add(note, 0)
    if not lines:
        raise SkipFile("DOCX with no text")
    created = document.core_properties.created
    date = created.date().isoformat() if created and 1900 < created.year < 2100 else None
    return DocxText(lines, levels, (document.core_properties.title or "").strip(), date)


def _style_levels(document) -> dict[str | None, int | None]:
    """Each paragraph style's heading level (by its name or its outline
    level, inherited from the style it is based on), read once: asking a
    paragraph for its style searches the whole style sheet every time."""
    from docx.enum.style import WD_STYLE_TYPE

    styles = {s.style_id: s for s in document.styles if s.type == WD_STYLE_TYPE.PARAGRAPH}
    levels: dict[str | None, int | None] = {}

    def level(style_id, depth=0):
        if style_id in levels:
            return levels[style_id]
        style = styles.get(style_id)
        found = None
        if style is not None and depth < 20:
            m = _HEADING_STYLE.match(style.name or "")
            found = int(m.group(1)) if m else _outline_level(style.element)
            if found is None and style.base_style is not None:
                found = level(style.base_style.style_id, depth + 1)
        levels[style_id] = found
        return found

    for style_id in styles:
        level(style_id)
    default = next((s.style_id for s in styles.values() if s.element.get(f"{_W}default") in ("1", "true")), None)
    levels[None] = levels.get(default)
    return levels


def _outline_level(element) -> int | None:
    found = element.find(f"{_W}pPr/{_W}outlineLvl")
    if found is not None:
        value = found.get(f"{_W}val")
        level = ascii_int(value)
        if level is not None and level < 9:  # 9: body text
            return level + 1
    return None


def _heading_level(paragraph, style_levels: dict) -> int | None:
    own = _outline_level(paragraph._p)
    return own if own is not None else style_levels.get(paragraph._p.style)


def _footnotes(document) -> list[str]:
    from lxml import etree

    for part in document.part.package.iter_parts():
        if str(part.partname).endswith("/footnotes.xml"):
            root = etree.fromstring(part.blob)
            out = []
            for note in root.iter(f"{_W}footnote"):
                if note.get(f"{_W}type") in ("separator", "continuationSeparator", "continuationNotice"):
                    continue
                text = "".join(t.text or "" for t in note.iter(f"{_W}t")).strip()
                if text:
                    out.append(text)
            return out
    return []
