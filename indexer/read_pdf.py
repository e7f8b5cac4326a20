"""PDF files with a text layer: paragraphs rebuilt from the lines on the page.

A PDF keeps no paragraphs, only placed lines. A paragraph starts where a line
is indented (Chinese official documents indent their first lines by two
characters) or centred (a heading), where the line before it stopped short
of the right margin, or after vertical space; otherwise a line continues the
one before it, across a page break too. Lines of Chinese join without a space
(only two Latin words get one between them). Running heads and feet — the
page margins' lines that are page numbers, links or dates, or that repeat on
most pages — are dropped.

PDFium (``pypdfium2``, native, maintained) reads the text layer: on
Chromium-printed law texts it read several times faster than pypdf and
pdfminer.six, with the same Chinese text; and it gives each character's
box, which the rebuilding needs. A PDF without a text layer (a scan) is
skipped: OCR is out of scope.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from .skip import SkipFile

MARGIN_SHARE = 0.08  # the top and bottom share of a page where running heads and feet live
MAX_PAGES = 5000  # a law code runs to a few hundred; past this it is a dump, not a document
MIN_TEXT_CHARS = 10  # fewer visible characters than this in the whole file: a scan
_PAGE_NUMBER = re.compile(r"^[-—–\s第]*\d+\s*(?:/\s*\d+|页|頁)?[-—–\s]*(?:共\s*\d+\s*[页頁])?$")
_LINK_OR_DATE = re.compile(r"(?:https?|file)://|^\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}")
_DIGITS = re.compile(r"\d+")
_PDF_DATE = re.compile(r"^(?:D:)?((?:19|20)\d\d)(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])")
_PARAGRAPH_END = ("。", "！", "？", "：", "；", "!", "?", ":", ";")
_LINE_END_HYPHEN = "\ufffe"  # PDFium's mark for a hyphen that ends a line
_LATIN_END = re.compile(r"[A-Za-z0-9]$")
_LATIN_START = re.compile(r"^[A-Za-z0-9]")
_PLACEHOLDER_TITLES = re.compile(r"^(?:untitled|无标题|microsoft word\s*-|.*\.(?:docx?|wps|pdf)$)", re.I)


@dataclass
class _Line:
    text: str
    page: int
    left: float
    right: float
    top: float
    bottom: float
    page_height: float


@dataclass
class PdfText:
    paragraphs: list[str]
    title: str  # from the document's metadata, "" when it has none worth showing
    date: str | None = None  # its creation day (ISO), from the metadata


def read_pdf(data: bytes) -> PdfText:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        message = str(exc).lower()
        if "password" in message:
            raise SkipFile("encrypted PDF (a password is needed)") from None
        raise SkipFile(f"damaged PDF ({exc})") from None
    try:
        if len(pdf) > MAX_PAGES:
            raise SkipFile(f"PDF with {len(pdf)} pages (the limit is {MAX_PAGES}): not one document")
        lines = [line for number in range(len(pdf)) for line in _page_lines(pdf[number], number)]
        info = pdf.get_metadata_dict()
        title = (info.get("Title") or "").strip()
        made = _PDF_DATE.match(info.get("CreationDate") or info.get("ModDate") or "")
    except pdfium.PdfiumError as exc:  # a page that does not load: a page tree that loops, a broken object
        raise SkipFile(f"damaged PDF ({exc})") from None
    finally:
        pdf.close()
    if sum(len(line.text.replace(" ", "")) for line in lines) < MIN_TEXT_CHARS:
        raise SkipFile("scanned PDF, no text layer")
    body = _without_running_heads(lines)
    date = f"{made.group(1)}-{made.group(2)}-{made.group(3)}" if made else None
    return PdfText(_paragraphs(body), "" if _PLACEHOLDER_TITLES.match(title) else title, date)


def _page_lines(page, number: int) -> list[_Line]:
    """The page's lines in reading order, each with the box of its ends."""
    textpage = page.get_textpage()
    height = page.get_size()[1]
    text = textpage.get_text_range()  # one character per character index, "\r\n" between lines
    out = []
    index = 0
    for raw in text.split("\r\n"):
        stripped = raw.strip()
        if stripped:
            first = index + (len(raw) - len(raw.lstrip()))
            last = index + len(raw.rstrip()) - 1
            left, bottom, _, top = textpage.get_charbox(first, loose=True)
            _, _, right, _ = textpage.get_charbox(last, loose=True)
            out.append(_Line(stripped, number, left, right, top, bottom, height))
        index += len(raw) + 2
    textpage.close()
    page.close()
    return out


def _in_margin(line: _Line) -> bool:
    return line.top > line.page_height * (1 - MARGIN_SHARE) or line.bottom < line.page_height * MARGIN_SHARE


def _without_running_heads(lines: list[_Line]) -> list[_Line]:
    pages = len({line.page for line in lines}) or 1
    repeated = Counter(_DIGITS.sub("#", line.text) for line in lines if _in_margin(line))
    keep = []
    for line in lines:
        if _in_margin(line):
            shape = _DIGITS.sub("#", line.text)
            if (_PAGE_NUMBER.match(line.text) or _LINK_OR_DATE.search(line.text)
                    or (pages >= 2 and repeated[shape] >= max(2, pages // 2))):
                continue
        keep.append(line)
    return keep


def _paragraphs(lines: list[_Line]) -> list[str]:
    if not lines:
        return []
    margin_left, _ = _margin(Counter(round(line.left) for line in lines), min)
    margin_right, right_known = _margin(Counter(round(line.right) for line in lines), max)
    heights = sorted(line.top - line.bottom for line in lines)
    size = heights[len(heights) // 2] or 10.0  # about one character's width
    gaps = sorted(a.bottom - b.top for a, b in zip(lines, lines[1:]) if a.page == b.page)
    # the space between two lines of one paragraph: the lower quartile, as
    # a short page of one-line paragraphs has more gaps between paragraphs
    leading = gaps[len(gaps) // 4] if gaps else size
    paragraphs: list[str] = []
    current = ""
    previous: _Line | None = None
    for line in lines:
        line.text = _unspaced(line.text)
        starts = previous is None
        if not starts and _wraps_centred(previous, line, margin_left, margin_right, size, leading):
            current += line.text  # a centred title or heading too long for one line
            previous = line
            continue
        if not starts:
            indented = line.left > margin_left + 0.8 * size
            # where no two lines end alike, the margin is unknown: a line that
            # ends a sentence ends its paragraph
            stopped_short = previous.right < margin_right - 1.5 * size or (
                not right_known and previous.text.endswith(_PARAGRAPH_END))
            gap = line.page == previous.page and previous.bottom - line.top > 1.2 * size
            resized = abs(_height(line) - _height(previous)) > 0.25 * size  # a heading in a larger type
            starts = indented or stopped_short or gap or resized
        if starts:
            if current:
                paragraphs.append(_hyphen(current))
            current = line.text
        elif current.endswith(_LINE_END_HYPHEN):
            # a hyphen at a line's end: a word broken in two joins again;
            # anything else keeps its hyphen (区委深改委-区委改革办)
            broken = current[-2:-1].isascii() and current[-2:-1].isalpha() and line.text[:1].islower()
            current = current[:-1] + ("" if broken else "-") + line.text
        else:
            joint = " " if _LATIN_END.search(current) and _LATIN_START.match(line.text) else ""
            current += joint + line.text
        previous = line
    if current:
        paragraphs.append(_hyphen(current))
    return paragraphs


# a letter-spaced word — one Chinese character or mark at a time, a space
# after each (一 、 总 体 要 求, 总 则, a name padded to two places: 赵 军) —
# is how PDFium reads a heading set with letter spacing or a padded name:
# its spaces go, so its words are found. A space between words stays (机遇
# 争当: the author's), and so does one before a letter-spaced tail of a
# word (叶仕春 赵 军 keeps 叶仕春 whole).
_CJK = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uff0f\uff1a-\uff20\u2014\u201c\u201d"
_SPACED_RUN = re.compile(f"(?<!\\S)(?:[{_CJK}] )+[{_CJK}](?!\\S)")


def _unspaced(text: str) -> str:
    return _SPACED_RUN.sub(lambda m: m.group(0).replace(" ", ""), text)


def _centred(line: _Line, margin_left: float, margin_right: float, size: float) -> bool:
    return (line.left > margin_left + 0.8 * size
            and abs((line.left - margin_left) - (margin_right - line.right)) < 1.5 * size)


def _wraps_centred(previous: _Line, line: _Line, margin_left: float, margin_right: float, size: float,
                   leading: float) -> bool:
    """``line`` goes on with the centred line above it: both centred, in one
    type size, no further apart than two lines of a paragraph (``leading``),
    and the one above not ending a sentence and as wide as the text block
    (less two of its characters): it wrapped because the next word did not
    fit. A short centred line, or one set apart (a subtitle, a speaker's
    name under it), stands alone."""
    return (line.page == previous.page and previous.bottom - line.top <= leading + 0.2 * size
            and abs(_height(line) - _height(previous)) <= 0.25 * size
            and not previous.text.endswith(_PARAGRAPH_END)
            and previous.right - previous.left >= margin_right - margin_left - 2.5 * _height(previous)
            and _centred(previous, margin_left, margin_right, size)
            and _centred(line, margin_left, margin_right, size))


def _margin(positions: Counter, outermost) -> tuple[float, bool]:
    """The text block's edge, and whether lines showed it: the outermost
    position that several lines share (a lone line further out is a heading
    or a stray mark); where no position repeats — a short page of a heading
    and a few short paragraphs, whose lines all end in different places —
    the outermost of all, not known to be the margin."""
    most = positions.most_common(1)[0][1]
    shared = [x for x, n in positions.items() if n >= max(2, most // 4)]
    return outermost(shared or positions), bool(shared)


def _height(line: _Line) -> float:
    return line.top - line.bottom


def _hyphen(text: str) -> str:
    return text.replace(_LINE_END_HYPHEN, "-")
