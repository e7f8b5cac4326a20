"""One file to one document: read, repair, clean, describe, chunk and
classify (``process_file``), and the notes that cleaning leaves for the
run's summary. A pure function of a file's bytes and its sidecar, so the
analysis processes (``indexer.pool``) run it, and tests call it directly."""
from __future__ import annotations

import dataclasses
import hashlib
import re
from dataclasses import dataclass, field

from search import analysis
from search.engine import SECTION_SEPARATOR, ChunkRecord, DocumentRecord

from . import chunk as chunking
from . import clean, domains, meta, repair
from .read import SkipFile, SourceFile, read_bytes, read_document, read_sidecar_bytes


@dataclass
class FileNotes:
    """What cleaning one file dropped or doubted, for the run's summary."""

    repairs: repair.RepairReport = field(default_factory=repair.RepairReport)
    boilerplate_lines: int = 0
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (path, message)

    def merge(self, other: "FileNotes") -> None:
        """Add one file's notes (made in an analysis process) to the run's."""
        for f in dataclasses.fields(other.repairs):
            value = getattr(other.repairs, f.name)
            if isinstance(value, list):
                getattr(self.repairs, f.name).extend(value)
            else:
                setattr(self.repairs, f.name, getattr(self.repairs, f.name) + value)
        self.boilerplate_lines += other.boilerplate_lines
        self.warnings.extend(other.warnings)



def doc_id_for(source: SourceFile) -> str:
    return hashlib.sha1(f"{source.corpus}\0{source.rel}".encode("utf-8")).hexdigest()[:16]


# What the indexer makes of a file: raised when a change reads more from the
# same bytes (2: the official fields), so the next incremental run reads
# every file again instead of keeping what an older version made of it.
EXTRACTION_VERSION = 2


def content_hash(data: bytes, sidecar: bytes = b"") -> str:
    """What decides that a file must be read again: its bytes, its
    sidecar's, and what this version reads from them."""
    h = hashlib.sha1(data)
    if EXTRACTION_VERSION > 1:  # version 1's hashes were of the bytes alone
        h.update(b"\0extraction %d\0" % EXTRACTION_VERSION)
    h.update(b"\0sidecar\0")
    h.update(sidecar)
    return h.hexdigest()


_MD_INLINE = [("**", ""), ("__", ""), ("`", "")]
_MD_LINK = re.compile(r"!?\[([^\]\n]*)\]\([^)\n]*\)")  # [text](url) and ![alt](src): the text


def process_file(source: SourceFile, data: bytes | None = None, notes: FileNotes | None = None) -> DocumentRecord:
    """Read, repair, clean, describe and chunk one file. Raises ``SkipFile``."""
    notes = notes if notes is not None else FileNotes()
    if data is None:
        data = read_bytes(source)
    sidecar_raw, sidecar_problem = read_sidecar_bytes(source.path)
    if sidecar_problem:
        notes.warnings.append((source.rel, sidecar_problem))
    raw = read_document(source, data)
    levels = None
    if raw.lines is not None:  # a format that knows its paragraphs: one line each, kept apart
        lines, levels = [], []
        for line, level in zip(raw.lines, raw.levels or [None] * len(raw.lines)):
            cleaned = " ".join(clean.split_lines(repair.repair(line, notes.repairs)))
            if cleaned:
                lines.append(cleaned)
                levels.append(level)
    else:
        text = repair.repair(raw.text, notes.repairs)
        if source.kind == "markdown":
            text = _MD_LINK.sub(r"\1", text)
            for old, new in _MD_INLINE:
                text = text.replace(old, new)
        lines = clean.split_lines(text)
    if not lines:
        raise SkipFile("no text after cleaning")
    every = clean.Lines.of(lines)
    keep = clean.drop_boilerplate(every.text, every.simplified)
    notes.boilerplate_lines += len(lines) - len(keep)
    body = every.only(keep)
    sidecar, problems = meta.parse_sidecar(sidecar_raw, source.path.name + ".meta.json")
    notes.warnings.extend((source.rel, p) for p in problems)
    facts = meta.FileFacts(source.kind, source.rel, raw.html_title, raw.own_date, raw.url, _modified(source))
    info = meta.extract(body, every, facts, sidecar)
    notes.warnings.extend((source.rel, w) for w in info.warnings)
    chunks = chunking.chunk_lines(body.text, source.kind, info.title,
                                  [levels[i] for i in keep] if levels is not None else None, body.simplified)
    if not chunks:
        raise SkipFile("no paragraphs after cleaning" if lines == body.text else "nothing but page boilerplate")
    doc_id = doc_id_for(source)
    doc = DocumentRecord(
        doc_id=doc_id,
        source=source.rel,
        corpus=str(source.corpus),
        title=info.title,
        date=info.date,
        year=info.year,
        district=info.district,
        content_hash=content_hash(data, sidecar_raw),
        url=info.url,
        date_source=info.date_source,
        title_simplified=info.title_simplified,
        doc_number=info.official.doc_number,
        issuers=info.official.issuers,
        kind=info.official.kind,
        index_number=info.official.index_number,
        date_written=info.dates.written,
        date_adopted=info.dates.adopted,
        date_effective=info.dates.effective,
    )
    rules = domains.load_rules()
    title_simp = info.title_simplified
    simplified: dict[str, str] = {}  # a heading covers many paragraphs: convert
    heading_domains: dict[str, set[str]] = {}  # and classify it once
    for c in chunks:
        path_simp = [simplified.get(h) or simplified.setdefault(h, analysis.to_simplified(h)) for h in c.section_path]
        text_simp = c.simplified if c.simplified is not None else analysis.to_simplified(c.text)
        doms = domains.classify(path_simp, text_simp, rules, heading_domains, title_simp)
        doc.chunks.append(ChunkRecord(f"{doc_id}-{c.paragraph}-{c.part}", c.paragraph, c.part, c.text, c.section_path, doms,
                                      simplified=text_simp, section_simplified=SECTION_SEPARATOR.join(path_simp)))
    return doc


def _modified(source: SourceFile) -> float | None:
    try:
        return source.path.stat().st_mtime
    except OSError:
        return None
