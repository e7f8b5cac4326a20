"""Finding corpus files and turning their bytes into text.

Real scrapes arrive as UTF-8, UTF-8 with BOM, UTF-16, GB18030/GBK or Big5. We
try the unambiguous signals first (BOM, strict UTF-8) and only then ask
charset-normalizer, restricted to the encodings Chinese documents actually use,
so a Big5 page is not read as GB18030 mojibake. A file that is empty or not text
raises ``SkipFile`` with a reason a user can act on; it never stops a run.
"""
from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from .skip import SkipFile

READ_SUFFIXES = {".txt": "text", ".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html",
                 ".pdf": "pdf", ".docx": "docx"}  # every format the indexer reads, by file name ending
# formats people keep documents in that we do not read, and what to do instead
OLD_OFFICE_SUFFIXES = {".doc", ".wps", ".dot", ".rtf", ".odt", ".wpt", ".docm"}
SAMPLE_BYTES = 256 * 1024
# The largest file read. A real policy document is well under a megabyte of
# text; past this it is a dump or a mistake, and reading it would cost the
# whole run its memory (a link to /dev/zero never ends at all).
MAX_FILE_BYTES = 64 * 1024 * 1024
CANDIDATE_ENCODINGS = ["gb18030", "big5", "utf_16_le", "utf_16_be", "utf_8"]
_BOMS = [
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
]
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")


@dataclass(frozen=True)
class SourceFile:
    path: Path  # absolute path
    corpus: Path  # the corpus folder it was found in
    rel: str  # path relative to the corpus folder, with forward slashes

    @property
    def kind(self) -> str:
        return READ_SUFFIXES[self.path.suffix.lower()]


@dataclass
class Inventory:
    """What a corpus folder holds: the files to read, the ones that cannot be
    read at all (with the reason), and the folders that could not be listed —
    whose documents must stay in the index, not be taken for deleted."""

    files: list[SourceFile] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path as shown, reason)
    kept: list[SourceFile] = field(default_factory=list)  # skipped, but their indexed version stays
    unreadable_dirs: list[Path] = field(default_factory=list)


_KINDS = [(stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder")]


def _not_regular(mode: int) -> str | None:
    for test, what in _KINDS:
        if test(mode):
            return f"not a regular file ({what})"
    return None if stat.S_ISREG(mode) else "not a regular file"


def _unsupported(path: Path, names: set[str]) -> str | None:
    """Why a file of another format is not read (every file is accounted
    for in the report); None for a sidecar beside its document."""
    name = path.name
    if name.endswith(SIDECAR_SUFFIX):
        if name[: -len(SIDECAR_SUFFIX)] in names:
            return None
        return "a metadata sidecar with no document beside it"
    suffix = path.suffix.lower()
    if suffix in OLD_OFFICE_SUFFIXES:
        return f"unsupported format ({suffix}): convert to .docx or .pdf"
    shown_suffix = suffix or "no extension"
    return f"unsupported format ({shown_suffix}): the indexer reads {' '.join(sorted(set(READ_SUFFIXES)))}"


def _size_reason(size: int) -> str:
    return f"larger than the {MAX_FILE_BYTES // 2**20} MB limit ({size / 2**20:.1f} MB)"


def scan(corpus: Path) -> Inventory:
    """Every indexable file below ``corpus`` in a stable order (hidden entries
    left out), checked before a byte is read: only regular files (a symbolic
    link counts as what it points to) up to ``MAX_FILE_BYTES``, with names
    that are text."""
    corpus = Path(corpus).resolve()
    inv = Inventory()

    def unreadable(err: OSError):
        inv.unreadable_dirs.append(Path(err.filename))
        inv.skipped.append((_rel(Path(err.filename), corpus) + "/",
                            f"folder cannot be read ({err.strerror}); its documents stay in the index"))

    for root, dirs, files in os.walk(corpus, onerror=unreadable):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        names = set(files)  # a sidecar's document is looked for beside it
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = Path(root) / name
            rel = _rel(path, corpus)
            if path.suffix.lower() not in READ_SUFFIXES:
                reason = _unsupported(path, names)
                if reason:
                    inv.skipped.append((rel, reason))
                continue
            if not _is_text_name(rel):
                inv.skipped.append((rel, "file name is not valid UTF-8; rename the file"))
                continue
            source = SourceFile(path, corpus, rel)
            try:
                st = path.stat()
            except OSError as exc:
                inv.skipped.append((rel, f"cannot be opened ({exc.strerror or exc})"))
                inv.kept.append(source)
                continue
            reason = _not_regular(st.st_mode) or (_size_reason(st.st_size) if st.st_size > MAX_FILE_BYTES else None)
            if reason:
                inv.skipped.append((rel, reason))
                inv.kept.append(source)
                continue
            inv.files.append(source)
    return inv


def find_files(corpus: Path) -> list[SourceFile]:
    """The files ``scan`` would read."""
    return scan(corpus).files


def _rel(path: Path, corpus: Path) -> str:
    return path.relative_to(corpus).as_posix() if path != corpus else "."


def _is_text_name(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # os.walk hands undecodable bytes over as surrogates
        return False
    return True


def read_bytes(source: SourceFile) -> bytes:
    """The file's bytes, or ``SkipFile``: opened without blocking (a FIFO put
    in its place since the scan cannot hang the run) and read no further than
    the size limit, whatever the file claims."""
    try:
        fd = os.open(source.path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise SkipFile(f"cannot be opened ({exc.strerror or exc})") from None
    with os.fdopen(fd, "rb") as fh:
        reason = _not_regular(os.fstat(fd).st_mode)
        if reason:
            raise SkipFile(reason)
        try:
            data = fh.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise SkipFile(f"read error ({exc.strerror or exc})") from None
    if len(data) > MAX_FILE_BYTES:
        raise SkipFile(_size_reason(len(data)))
    return data


SIDECAR_SUFFIX = ".meta.json"
MAX_SIDECAR_BYTES = 1024 * 1024


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + SIDECAR_SUFFIX)


def read_sidecar_bytes(path: Path) -> tuple[bytes, str | None]:
    """The bytes of the document's ``<name>.meta.json`` (empty when there is
    none) and, when one is there but cannot be used, why."""
    sidecar = sidecar_path(path)
    try:
        st = sidecar.stat()
    except OSError:
        return b"", None
    reason = _not_regular(st.st_mode) or ("larger than 1 MB" if st.st_size > MAX_SIDECAR_BYTES else None)
    if reason:
        return b"", f"{sidecar.name} ignored: {reason}"
    try:
        with open(os.open(sidecar, os.O_RDONLY | os.O_NONBLOCK), "rb") as fh:
            return fh.read(MAX_SIDECAR_BYTES), None
    except OSError as exc:
        return b"", f"{sidecar.name} ignored: cannot be read ({exc.strerror or exc})"


def _looks_binary(text: str) -> bool:
    if not text:
        return False
    bad = len(_CONTROL.findall(text[:20000]))
    return bad > max(2, len(text[:20000]) // 200)


def _readable(text: str) -> float:
    if not text:
        return 0.0
    good = sum(1 for ch in text if ch.isprintable() or ch in "\r\n\t")
    cjk = sum(1 for ch in text if "\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef")
    return good / len(text) if cjk or good == len(text) else 0.0


def _utf16_without_bom(sample: bytes) -> str | None:
    """NUL bytes in text mean UTF-16 (ASCII digits and letters carry a zero
    byte); pick the byte order whose strict decoding reads as text."""
    best, best_score = None, 0.97
    for encoding in ("utf-16-le", "utf-16-be"):
        cut = sample[: len(sample) - len(sample) % 2]
        try:
            text = cut.decode(encoding)
        except UnicodeDecodeError:
            continue
        score = _readable(text)
        if score > best_score:
            best, best_score = encoding, score
    return best


def decode_bytes(data: bytes) -> tuple[str, str]:
    """``(text, encoding)`` or ``SkipFile`` explaining why the bytes are not a document."""
    if not data or not data.strip(b" \t\r\n\x00"):
        raise SkipFile("empty file")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            text = data[len(bom):].decode(encoding, errors="replace")
            if _looks_binary(text):
                raise SkipFile(f"not text (undecodable as {encoding})")
            return text, encoding
    sample = data[:SAMPLE_BYTES]
    if b"\x00" in sample:
        encoding = _utf16_without_bom(sample)
        if encoding is None:
            raise SkipFile("binary file (contains NUL bytes)")
        text = data.decode(encoding, errors="replace")
        if _looks_binary(text):
            raise SkipFile("binary file (contains NUL bytes)")
        return text, encoding
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    # Mostly UTF-8 with a few broken bytes is still UTF-8.
    text = data.decode("utf-8", errors="replace")
    if text.count("\ufffd") <= max(1, len(text) // 1000) and not _looks_binary(text):
        return text, "utf-8"
    from charset_normalizer import from_bytes

    best = from_bytes(sample, cp_isolation=CANDIDATE_ENCODINGS).best()
    if best is None:
        raise SkipFile("not text (no Chinese or Unicode encoding fits)")
    encoding = best.encoding
    text = data.decode(encoding, errors="replace")
    if _looks_binary(text):
        raise SkipFile(f"not text (garbled as {encoding})")
    return text, encoding


_BLOCK_TAGS = (
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table",
    "section", "article", "blockquote", "pre", "dd", "dt", "dl", "hr", "center", "td", "th",
)
_BLOCK_SET = frozenset(_BLOCK_TAGS)
_INVISIBLE_TAGS = ("script", "style", "noscript", "nav", "iframe", "template", "svg", "form", "button", "select", "header", "footer", "aside")


def html_to_text(markup: str) -> tuple[str, str, str | None]:
    """Visible body text with one line per block element, the page
    ``<title>``, and the address the page gives as its own (canonical link,
    og:url), which a citation names."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "lxml")
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    url = None
    for tag in (soup.find("link", rel="canonical"), soup.find("meta", property="og:url")):
        url = web_address(tag.get("href") or tag.get("content") or "") if tag is not None else None
        if url:
            break
    from .clean import is_page_furniture

    # in document order, so an outer block goes first and takes the blocks
    # inside it along (a decomposed tag is not touched again)
    for tag in soup.find_all(lambda t: t.name in _INVISIBLE_TAGS or is_page_furniture(t)):
        if not tag.decomposed:
            tag.decompose()
    text = _block_text(soup.body or soup)
    lines = [re.sub(r"[ \t\u00a0\u3000]+", " ", line).strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line), title, url


def _block_text(root) -> str:
    """The visible strings under ``root``, a line break around every block
    element, in one pass over the tree with a stack of its own: linear in
    the page however deep it nests (bs4's ``insert_after`` walks to a tag's
    last descendant, which made a deeply nested page quadratic, and a
    recursive walk would overflow Python's stack)."""
    from bs4 import CData, NavigableString, Tag

    parts: list[str] = []
    stack = [(iter(root.contents), False)]
    while stack:
        node = next(stack[-1][0], None)
        if node is None:
            if stack.pop()[1]:
                parts.append("\n")
        elif isinstance(node, Tag):
            block = node.name in _BLOCK_SET
            if block:
                parts.append("\n")
            stack.append((iter(node.contents), block))
        elif type(node) in (NavigableString, CData):  # not comments, doctypes or processing instructions
            parts.append(str(node))
    return "".join(parts)


def web_address(value: str) -> str | None:
    """``value`` if it is an http(s) address (what a document's URL may be)."""
    value = (value or "").strip()
    return value if re.fullmatch(r"https?://[^\s<>\"]{3,2000}", value) else None


@dataclass
class RawDocument:
    source: SourceFile
    text: str
    encoding: str
    html_title: str = ""  # the title the file's own metadata gives (HTML <title>, PDF and DOCX properties)
    # a format that knows its paragraphs (PDF, DOCX): one line each, with
    # heading levels where the format gives them (chunk.chunk_lines)
    lines: list[str] | None = None
    levels: list[int | None] | None = None
    own_date: str | None = None  # the file's own metadata date (PDF, DOCX): used when the text names none
    url: str | None = None  # the address an HTML page names as its own


def read_document(source: SourceFile, data: bytes | None = None) -> RawDocument:
    if data is None:
        data = read_bytes(source)
    if source.kind == "pdf":
        from .read_pdf import read_pdf

        pdf = read_pdf(data)
        return RawDocument(source, "\n".join(pdf.paragraphs), "pdf", pdf.title, pdf.paragraphs, None, pdf.date)
    if source.kind == "docx":
        from .read_docx import read_docx

        word = read_docx(data)
        return RawDocument(source, "\n".join(word.lines), "docx", word.title, word.lines, word.levels, word.date)
    text, encoding = decode_bytes(data)
    html_title, url = "", None
    if source.kind == "html":
        text, html_title, url = html_to_text(text)
        if not text.strip():
            raise SkipFile("HTML page with no visible text")
    if not text.strip():
        raise SkipFile("empty file")
    return RawDocument(source, text, encoding, html_title, url=url)
