"""From corpus folders to an up-to-date index: the indexer's one entry point.

``process_file`` is a pure function of a file's bytes (and its sidecar), so it
can run in worker processes; ``build_index`` decides what changed by content
hash, feeds the engine, and commits once, so an interrupted run leaves the
previous index as it was.
"""
from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from filelock import FileLock, Timeout

from search import analysis, segmenter
from search.engine import ChunkRecord, DocumentRecord
from search.whoosh_engine import WhooshEngine

from . import chunk as chunking
from . import clean, domains, meta, repair
from .read import SkipFile, SourceFile, find_files, read_document

LOCK_NAME = ".indexer.lock"


class IndexBusy(Exception):
    """Another indexer holds the index."""


@dataclass
class BuildReport:
    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    paragraphs: int = 0
    characters: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    repairs: repair.RepairReport = field(default_factory=repair.RepairReport)

    def summary(self) -> str:
        lines = [
            f"documents: {self.added} added, {self.changed} changed, {self.removed} removed, "
            f"{self.unchanged} unchanged; {self.paragraphs} paragraphs indexed"
        ]
        if self.skipped:
            lines.append(f"skipped {len(self.skipped)} file(s):")
            lines.extend(f"  {path}: {reason}" for path, reason in self.skipped)
        return "\n".join(lines)


def doc_id_for(source: SourceFile) -> str:
    return hashlib.sha1(f"{source.corpus}\0{source.rel}".encode("utf-8")).hexdigest()[:16]


def content_hash(data: bytes, sidecar: bytes = b"") -> str:
    h = hashlib.sha1(data)
    h.update(b"\0sidecar\0")
    h.update(sidecar)
    return h.hexdigest()


def _sidecar_bytes(path: Path) -> bytes:
    sidecar = path.with_name(path.name + ".meta.json")
    try:
        return sidecar.read_bytes()
    except OSError:
        return b""


_MD_INLINE = [("**", ""), ("__", ""), ("`", "")]


def process_file(source: SourceFile, data: bytes | None = None, report: repair.RepairReport | None = None) -> DocumentRecord:
    """Read, repair, clean, describe and chunk one file. Raises ``SkipFile``."""
    if data is None:
        data = source.path.read_bytes()
    sidecar_raw = _sidecar_bytes(source.path)
    raw = read_document(source, data)
    text = repair.repair(raw.text, report)
    if source.kind == "markdown":
        for old, new in _MD_INLINE:
            text = text.replace(old, new)
    lines = clean.split_lines(text)
    if not lines:
        raise SkipFile("no text after cleaning")
    simp = clean.simplified_lines(lines)
    keep = clean.drop_boilerplate(lines, simp)
    kept = [lines[i] for i in keep]
    kept_simp = [simp[i] for i in keep]
    try:
        sidecar = meta.read_sidecar(source.path)
    except ValueError as exc:
        raise SkipFile(str(exc)) from None
    info = meta.extract(kept, kept_simp, lines, simp, raw.html_title, source.kind, source.rel, sidecar)
    chunks = chunking.chunk_lines(kept, source.kind, info.title)
    if not chunks:
        raise SkipFile("no paragraphs after cleaning")
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
    )
    rules = domains.load_rules()
    for c in chunks:
        path_simp = [analysis.to_simplified(h) for h in c.section_path]
        doms = domains.classify(path_simp, analysis.to_simplified(c.text), rules)
        doc.chunks.append(ChunkRecord(f"{doc_id}-{c.paragraph}-{c.part}", c.paragraph, c.part, c.text, c.section_path, doms))
    return doc


PARALLEL_MIN_BYTES = 500_000  # below this (a few files), one process is as fast
MAX_PROCS = 4


def auto_procs(todo_bytes: int) -> int:
    if todo_bytes < PARALLEL_MIN_BYTES:
        return 1
    return max(1, min(os.cpu_count() or 1, MAX_PROCS))


def _progress(total: int, enabled: bool | None):
    from tqdm import tqdm

    # enabled=None: a bar only when stderr is a terminal (tqdm's own rule)
    disable = None if enabled is None else not enabled
    return tqdm(total=total, unit="file", desc="indexing", file=sys.stderr, disable=disable, leave=False)


def build_index(
    corpora: list[Path],
    index_root: Path,
    rebuild: bool = False,
    progress: bool | None = None,
    lock_timeout: float = 0.0,
    engine: WhooshEngine | None = None,
    procs: int | None = None,
) -> BuildReport:
    """Bring the index at ``index_root`` in line with ``corpora``.

    The index mirrors exactly the given folders: new and changed files are
    (re)indexed, files that are gone — or whose folder is no longer given — are
    removed, unchanged ones are skipped. ``procs`` writer processes (None:
    one per core when there is enough new text to be worth starting them)
    tokenize and write their own segments while this process reads and chunks.
    """
    index_root = Path(index_root)
    index_root.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(index_root / LOCK_NAME))
    try:
        lock.acquire(timeout=lock_timeout)
    except Timeout:
        raise IndexBusy(f"another indexer is writing {index_root}; try again when it has finished") from None
    try:
        return _build_locked(corpora, index_root, rebuild, progress, engine, procs)
    finally:
        lock.release()


def _build_locked(corpora, index_root, rebuild, progress, engine, procs=None) -> BuildReport:
    engine = engine or WhooshEngine(index_root)
    report = BuildReport()
    sources: list[SourceFile] = []
    for corpus in corpora:
        corpus = Path(corpus)
        if not corpus.is_dir():
            raise FileNotFoundError(f"corpus folder not found: {corpus}")
        sources.extend(find_files(corpus))

    fresh = rebuild or not engine.exists()
    existing = {} if fresh else engine.indexed_documents()
    todo: list[tuple[SourceFile, bytes, str]] = []
    seen_ids = set()
    for source in sources:
        doc_id = doc_id_for(source)
        seen_ids.add(doc_id)
        try:
            data = source.path.read_bytes()
        except OSError as exc:
            report.skipped.append((source.rel, f"unreadable: {exc.strerror or exc}"))
            continue
        digest = content_hash(data, _sidecar_bytes(source.path))
        old = existing.get(doc_id)
        if old and old[1] == digest:
            report.unchanged += 1
            continue
        todo.append((source, data, "changed" if old else "added"))
    gone = [doc_id for doc_id in existing if doc_id not in seen_ids]

    if not todo and not gone and not fresh:
        return report

    if procs is None:
        procs = auto_procs(sum(len(data) for _, data, _ in todo))
    if procs > 1:
        # Writer processes are forked from this one: load the dictionary once
        # here, not once in each of them.
        segmenter.tokenizer()
    update = engine.update(rebuild=fresh, procs=procs)
    try:
        bar = _progress(len(todo), progress)
        for source, data, how in todo:
            try:
                doc = process_file(source, data, report.repairs)
            except SkipFile as exc:
                report.skipped.append((source.rel, str(exc)))
                if how == "changed":
                    update.delete(doc_id_for(source))
                    report.removed += 1
                bar.update(1)
                continue
            update.replace(doc)
            report.paragraphs += len(doc.chunks)
            report.characters += sum(len(c.text) for c in doc.chunks)
            setattr(report, how, getattr(report, how) + 1)
            bar.update(1)
        bar.close()
        for doc_id in gone:
            update.delete(doc_id)
            report.removed += 1
        update.commit()
    except BaseException:
        update.cancel()
        raise
    return report
