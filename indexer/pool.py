"""The analysis processes: read, repair, clean, chunk, classify and segment
files in parallel, handing the engine's writer finished, analysed documents.

Segmenting is most of the indexer's time (jieba is pure Python), and it is the
same work for every engine, so it is done here, once, by a pool of processes,
and every engine receives the same tokens. Results come back in the order the
files were given, with at most a few files per process in flight, so memory
stays flat however large the corpus. A worker that dies (the OOM killer) fails
the run: the engine's update is cancelled and nothing goes live.
"""
from __future__ import annotations

import multiprocessing
import signal
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Iterable, Iterator

from search import analysis, segmenter
from search.engine import DocumentRecord
from search.errors import IndexIncomplete
from search.lifetime import die_with_parent, how_it_ended

from .process import FileNotes, process_file
from .read import SkipFile, SourceFile

IN_FLIGHT_PER_PROCESS = 4


@dataclass
class Outcome:
    """One file's result: a document, or the reason it was skipped
    (``failed``: an error of ours, not of the file)."""

    doc: DocumentRecord | None
    notes: FileNotes
    skipped: str | None = None
    failed: str | None = None  # "TypeError: …": the error of ours, for the report


def analyse_file(source: SourceFile, data: bytes | None = None) -> Outcome:
    notes = FileNotes()
    try:
        doc = process_file(source, data, notes)
        analysis.analyse_document(doc)
    except SkipFile as exc:
        return Outcome(None, notes, str(exc))
    except Exception as exc:  # a bug one file's content set off: that file only
        error = f"{type(exc).__name__}: {exc}"
        return Outcome(None, notes, f"could not be processed ({error}); please report it", failed=error)
    return Outcome(doc, notes)


def _ready() -> None:
    segmenter.tokenizer()


class _Executor(ProcessPoolExecutor):
    """Keeps every process it started, to say how one died: the standard
    executor forgets its processes when one breaks the pool."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.workers: list = []

    def _spawn_process(self):
        super()._spawn_process()
        self.workers.append(next(reversed(self._processes.values())))  # the one just started


class AnalysisPool:
    """``with AnalysisPool(procs) as pool: pool.analysed(items)``. The
    processes start when the pool is entered, before the engine's writer
    starts its own threads (fork and threads do not mix)."""

    def __init__(self, procs: int):
        self.procs = procs
        self.executor: _Executor | None = None

    def __enter__(self) -> "AnalysisPool":
        if self.procs > 1:
            segmenter.tokenizer()  # loaded once here; the forked workers share it
            self.executor = _Executor(self.procs, mp_context=multiprocessing.get_context("fork"),
                                      initializer=die_with_parent)
            try:
                futures = [self.executor.submit(_ready) for _ in range(self.procs)]
                for f in futures:
                    f.result()  # every worker started now, not at the first file
            except BrokenProcessPool:
                failure = self._failure()
                self.__exit__()
                raise failure from None
        return self

    def __exit__(self, *exc) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
            self.executor = None

    def analysed(self, items: Iterable[tuple[SourceFile, bytes | None]]) -> Iterator[Outcome]:
        """``analyse_file`` of every ``(source, data)`` (None: read it), in order."""
        if self.executor is None:
            for item in items:
                yield analyse_file(*item)
            return
        window: deque = deque()
        try:
            for item in items:
                window.append(self.executor.submit(analyse_file, *item))
                if len(window) >= self.procs * IN_FLIGHT_PER_PROCESS:
                    yield window.popleft().result()
            while window:
                yield window.popleft().result()
        except BrokenProcessPool:
            raise self._failure() from None

    def _failure(self) -> IndexIncomplete:
        workers = self.executor.workers if self.executor else []
        for worker in workers:
            worker.join(timeout=1)
        codes = [w.exitcode for w in workers if w.exitcode not in (None, 0)]
        # a broken pool terminates the other workers (SIGTERM): the cause is
        # the one that ended some other way
        causes = [c for c in codes if c != -signal.SIGTERM] or codes
        reason = how_it_ended(causes[0]) if causes else "it ended without a result"
        return IndexIncomplete(f"an analysis process failed ({reason})")
