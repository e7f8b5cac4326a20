"""From corpus folders to an up-to-date index: the indexer's one entry point.

``build_index`` decides what changed by content hash, has the analysis
processes make each changed file's document (``process.process_file``, a pure
function of a file's bytes and its sidecar), feeds the engine, and commits
once, so an interrupted run leaves the previous index as it was. One bad file
never stops a run: it is skipped with its reason, and everything else is
indexed.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from search.i18n import _
from search import storage
from search.text import shown
from search.engine import Engine
from search.engines import Settings, open_engine

from . import pool, repair
from .process import FileNotes, content_hash, doc_id_for
from .read import SkipFile, SourceFile, read_bytes, read_sidecar_bytes, scan


class RunFailed(Exception):
    """Nothing could be indexed because of errors of ours, not of the files:
    going live with what is left would lose the index."""


@dataclass
class BuildReport(FileNotes):
    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    paragraphs: int = 0
    characters: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    failed: int = 0  # skipped because of an error of ours (a bug), not of the file
    cleaned: list[str] = field(default_factory=list)  # what killed runs had left behind
    engine: str = ""  # the engine that wrote
    # the index's paragraphs before and after the run (None: nothing was committed)
    held_before: int = 0
    held_after: int | None = None

    def summary(self) -> str:
        """Every line is one fact; file names are shown escaped, so a name
        with a newline in it cannot forge a line of the report."""
        lines = [_("documents: {added} added, {changed} changed, {removed} removed, {unchanged} unchanged; "
                   "{paragraphs} paragraphs indexed").format(added=self.added, changed=self.changed,
                                                             removed=self.removed, unchanged=self.unchanged,
                                                             paragraphs=self.paragraphs)]
        if self.boilerplate_lines:
            lines.append(_("{count} line(s) dropped as page boilerplate (rules: data/boilerplate.txt)")
                         .format(count=self.boilerplate_lines))
        fixes = self.repairs
        if fixes.misread_lines or fixes.mojibake_runs or fixes.lost_characters:
            lines.append(_("mojibake repaired: {lines} line(s) decoded again as UTF-8, {runs} GBK run(s) realigned, "
                           "{recovered} damaged character(s) recovered from evidence; {lost} character(s) could not "
                           "be and are marked {mark}").format(
                lines=fixes.misread_lines, runs=fixes.mojibake_runs,
                recovered=fixes.merged_recovered + fixes.lost_recovered, lost=fixes.lost_characters,
                mark=repair.LOST_MARK))
        if self.cleaned:
            lines.append(_("cleared {count} leftover(s) of an interrupted run").format(count=len(self.cleaned)))
        if self.skipped:
            lines.append(_("skipped {count} file(s):").format(count=len(self.skipped)))
            lines.extend(f"  {shown(path)}: {shown(reason)}" for path, reason in self.skipped)
        if self.warnings:
            lines.append(_("{count} warning(s):").format(count=len(self.warnings)))
            lines.extend(f"  {shown(path)}: {shown(message)}" for path, message in self.warnings)
        return "\n".join(lines)


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
    engine: Engine | None = None,
    procs: int | None = None,
    engine_name: str | None = None,
    settings: Settings | None = None,
) -> BuildReport:
    """Bring the index at ``index_root`` in line with ``corpora``.

    The index mirrors exactly the given folders: new and changed files are
    (re)indexed, files that are gone — or whose folder is no longer given — are
    removed, unchanged ones are skipped. A folder that cannot be listed is
    reported, and its documents stay. ``procs`` analysis processes (None:
    one per core when there is enough new text to be worth starting them)
    read, clean, chunk and segment the files (``indexer.pool``); the engine
    gets the same number for its own writing (writer processes or threads).
    ``engine_name``: the engine of a new index (an existing one keeps its
    own; naming another is an error unless ``rebuild``, which switches).
    ``settings``: the engines' options (``search.engines.settings_from``).
    """
    index_root = Path(index_root)
    with storage.writing(index_root, lock_timeout):
        engine = engine or open_engine(index_root, engine_name, rebuild=rebuild, settings=settings)
        return _build_locked(corpora, index_root, rebuild, progress, engine, procs)


def _build_locked(corpora, index_root, rebuild, progress, engine, procs=None) -> BuildReport:
    report = BuildReport(engine=engine.NAME)
    report.cleaned = engine.clean_up()
    state = engine.state()
    if state == "damaged" and not rebuild:
        engine.check()  # raises IndexDamaged with the reason: only --rebuild may replace it
    fresh = rebuild or state == "missing"

    sources: list[SourceFile] = []
    kept_ids: set[str] = set()  # skipped files and unlistable folders: their indexed versions stay
    unreadable_dirs: list[str] = []
    for corpus in corpora:
        corpus = Path(corpus)
        if not corpus.is_dir():
            raise FileNotFoundError(f"corpus folder not found: {corpus}")
        inventory = scan(corpus)
        sources.extend(inventory.files)
        report.skipped.extend(inventory.skipped)
        kept_ids.update(doc_id_for(s) for s in inventory.kept)
        unreadable_dirs.extend(str(d) + os.sep for d in inventory.unreadable_dirs)

    existing = {} if fresh else engine.indexed_documents()
    todo: list[tuple[SourceFile, int, str]] = []  # (file, its size, "added" or "changed")
    for source in sources:
        doc_id = doc_id_for(source)
        kept_ids.add(doc_id)
        try:
            data = read_bytes(source)
        except SkipFile as exc:
            report.skipped.append((source.rel, str(exc)))
            continue
        digest = content_hash(data, read_sidecar_bytes(source.path)[0])
        old = existing.get(doc_id)
        if old and old[1] == digest:
            report.unchanged += 1
            continue
        todo.append((source, len(data), "changed" if old else "added"))
    gone = [doc_id for doc_id, (key, _) in existing.items()
            if doc_id not in kept_ids and not key.startswith(tuple(unreadable_dirs))]

    if not todo and not gone and not fresh:
        return report

    if procs is None:
        procs = auto_procs(sum(size for _, size, _ in todo))
    with pool.AnalysisPool(procs) as analysis_pool:
        _write(todo, gone, analysis_pool, engine.update(rebuild=fresh, procs=procs), report, progress, fresh)
    return report


def _write(todo, gone, analysis_pool, update, report: BuildReport, progress, fresh: bool) -> None:
    """Feed the update every analysed file and every deletion, then commit.

    A file the reader cannot use (``skipped``) is the file's fault: a
    changed file that became unreadable leaves the index, as the folder
    says. A file that failed by an error of ours (``failed``) keeps the
    version the index has, and the next run tries it again. Only a fresh
    index in which every file failed is refused: going live would lose
    every document the previous generation holds."""
    # the analysis processes read each file again themselves (from the page
    # cache): cheaper than sending its bytes, and the record's hash is of
    # what was indexed, so a file changed meanwhile is seen by the next run
    outcomes = analysis_pool.analysed((source, None) for source, _, _ in todo)
    try:
        bar = _progress(len(todo), progress)
        first_failure = None
        for (source, _bytes, how), outcome in zip(todo, outcomes):
            report.merge(outcome.notes)
            doc = outcome.doc
            if doc is None:
                report.skipped.append((source.rel, outcome.skipped))
                if outcome.failed is not None:
                    report.failed += 1
                    first_failure = first_failure or outcome.failed
                elif how == "changed":
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
        if fresh and report.failed and not report.added:
            raise RunFailed(f"no file could be processed ({report.failed} failed; first: "
                            f"{first_failure}); the index is unchanged")
        for doc_id in gone:
            update.delete(doc_id)
            report.removed += 1
        update.commit()
        report.held_before, report.held_after = update.before, update.expected
    except BaseException:
        update.cancel()
        raise
