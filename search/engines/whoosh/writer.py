"""Writing a Whoosh generation: one run's changes, committed only when the
segments hold exactly what was written (``_CountedCommit``)."""
from __future__ import annotations

import contextlib
import os
import pickle
import queue
from multiprocessing import Queue as MpQueue
from pathlib import Path

from whoosh import index
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.util import random_name
from whoosh.writing import SegmentWriter

from ... import analysis, ranking
from ...text import one_line
from ...lifetime import die_with_parent, how_it_ended
from ...engine import ChunkRecord, DocumentRecord, issuer_values, official_of
from ..base import CountedUpdate
from ...errors import IndexIncomplete
from .schema import AnalysedText

# ------------------------------------------------------------------ writing


class WhooshUpdate(CountedUpdate):
    """One indexer run's changes, committed at once. Before the table of
    contents that makes them visible is written, the segments are counted
    (``_CountedCommit``): an incremental update into the live generation is
    refused there, before any reader could see it."""

    def __init__(self, engine, gen: Path, new_generation: bool, procs: int = 1):
        super().__init__(engine, gen, new_generation)
        self.ix = index.open_dir(str(gen))
        self.before = 0 if new_generation else self.ix.doc_count()
        if procs > 1:
            # One segment per writer process, not merged at the end: merging
            # would cost as much single-process time as the writing saved.
            self.writer = _CheckedMpWriter(self.ix, procs=procs, multisegment=True, limitmb=256, timeout=5.0)
        else:
            self.writer = _CheckedSegmentWriter(self.ix, timeout=5.0, limitmb=256)
        self.writer.schema = self.ix.schema
        # fields an older index (updated in place) does not have
        self.older = [name for name in ("url", "date_source", "chars", "first", "lead", "official",
                                                "issuer", "issuer_set", "kind") if name not in self.ix.schema]

    def _write(self, doc: DocumentRecord) -> None:
        issuers = issuer_values(doc)
        for chunk in doc.chunks:
            row = _chunk_fields(doc, chunk, issuers)
            for name in self.older:
                del row[name]
            self.writer.add_document(**row)

    def _delete(self, doc_id: str) -> int:
        return self.writer.delete_by_term("doc_id", doc_id) or 0

    def _commit_writes(self) -> None:
        self.writer.expected = self.expected
        self.writer.commit()

    def _held(self) -> int:
        return self.writer.held  # what the table of contents it wrote counts (``_CountedCommit``)

    def _documents_held(self) -> int:
        with index.open_dir(str(self.gen)).searcher() as s:
            return len(list(s.reader().lexicon("doc_id"))) if s.doc_count() else 0

    def _rollback(self) -> None:
        if not self.writer.is_closed:
            self.writer.cancel()


class _CountedCommit:
    """Refuses to write a table of contents whose segments do not hold the
    number of paragraphs expected (``expected``; None: no check)."""

    expected: int | None = None
    held: int | None = None  # what the table of contents written holds

    def _commit_toc(self, segments):
        held = self.held = sum(seg.doc_count() for seg in segments)
        if self.expected is not None and held != self.expected:
            raise IndexIncomplete(f"the index would hold {held} paragraphs, but {self.expected} were written")
        super()._commit_toc(segments)

    def cancel(self):
        """Also after a commit that failed half-way (segment files already
        closed): the lock and the temporary files must go all the same."""
        try:
            super().cancel()
        except Exception:
            if not self.is_closed:
                with contextlib.suppress(Exception):
                    self._finish()


class _CheckedSegmentWriter(_CountedCommit, SegmentWriter):
    pass


class _ReportingTask(SubWriterTask):
    """A writer process that dies with its parent and, when it fails (a full
    disk), says why in one line on the error queue instead of a traceback."""

    errors = None  # a multiprocessing queue, set before start()

    def run(self):
        die_with_parent()
        try:
            super().run()
        except BaseException as exc:
            try:
                self.errors.put(one_line(exc), timeout=1)
                self.errors.close()
                self.errors.join_thread()  # the message leaves before the process does
            finally:
                os._exit(1)


class _CheckedMpWriter(_CountedCommit, MpWriter):
    """Whoosh's multiprocess writer, made to notice its processes dying.

    Whoosh's own waits forever on a full job queue when every writer process
    has died (a full disk, the OOM killer), and commits whatever segments came
    back when one died: a partial index reported as success. Here every wait
    looks at the processes, and a commit needs every one of them to have
    ended cleanly with its segment."""

    POLL = 0.5  # seconds between looks at the writer processes while waiting

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.errors = MpQueue()

    def _new_task(self):
        task = _ReportingTask(self.storage, self.indexname, self.jobqueue, self.resultqueue,
                              self.subargs, self.multisegment)
        task.errors = self.errors
        self.tasks.append(task)
        task.start()
        return task

    def _check_tasks(self) -> None:
        for task in self.tasks:
            if task.exitcode not in (None, 0):
                raise IndexIncomplete(self._death(task))

    def _death(self, task) -> str:
        try:
            reason = self.errors.get_nowait()
        except queue.Empty:
            reason = how_it_ended(task.exitcode)
        return f"a writer process failed ({reason})"

    def _put(self, item) -> None:
        while True:
            try:
                self.jobqueue.put(item, timeout=self.POLL)
                return
            except queue.Full:
                self._check_tasks()

    def _enqueue(self):
        self._check_tasks()
        filename = "%s.doclist" % random_name()
        with self.temp_storage().create_file(filename).raw_file() as f:
            for item in self.docbuffer:
                pickle.dump(item, f, 2)
        if len(self.tasks) < self.procs:
            self._new_task()
        self._put((filename, len(self.docbuffer)))
        self.docbuffer = []

    def _commit(self, mergetype, optimize, merge):
        if self.docbuffer:
            self._enqueue()
        for _ in self.tasks:
            self._put(None)
        finalsegments = self._merge_segments(mergetype, optimize, merge)
        results = []  # each process hands in its segment, then exits
        while len(results) < len(self.tasks):
            try:
                results.append(self.resultqueue.get(timeout=self.POLL))
            except queue.Empty:
                self._check_tasks()
                if all(t.exitcode is not None for t in self.tasks):
                    raise IndexIncomplete(f"only {len(results)} of {len(self.tasks)} writer processes "
                                          "handed in their part of the index") from None
        for task in self.tasks:
            task.join()
        self._check_tasks()
        finalsegments += [seg for _, _, seg in results]
        if self._added:
            finalsegments.append(self._finalize_segment())
        else:
            self._close_segment()
        self._commit_toc(finalsegments)
        self._finish()

    def cancel(self):
        for task in self.tasks:
            if task.is_alive():
                task.kill()  # MpWriter.cancel only flags Whoosh's own copy of the task
            task.join(timeout=5)
        super().cancel()


def _chunk_fields(doc: DocumentRecord, chunk: ChunkRecord, issuers: list[str]) -> dict:
    """The stored values are plain strings (``_stored_*``); the indexed ones
    carry the library's tokens (``replace`` analysed the document first).
    ``issuers``: ``engine.issuer_values(doc)``, made once per document."""
    section = chunk.section_text
    text_tokens = ranking.padded(chunk.tokens)  # what BM25 counts: the floor's pads included
    return {
        "chunk_id": chunk.chunk_id,
        "doc_id": doc.doc_id,
        "source": doc.source,
        "corpus": doc.corpus,
        "content_hash": doc.content_hash,
        "url": doc.url,
        "date_source": doc.date_source,
        "official": official_of(doc),
        "title": AnalysedText(doc.title, doc.title_tokens),
        "_stored_title": doc.title,
        "section": AnalysedText(section, chunk.section_tokens),
        "_stored_section": section,
        "section_path": list(chunk.section_path),
        "text": AnalysedText(chunk.text, text_tokens),
        "_stored_text": chunk.text,
        "chars": analysis.char_string(chunk.chars),
        "first": "1" if chunk is doc.chunks[0] else None,
        "lead": AnalysedText(doc.title, doc.title_tokens) if chunk is doc.chunks[0] and doc.title else None,
        "tokens": analysis.pack_tokens(chunk.tokens),  # opaque bytes: cheap to pass to a writer process
        "section_tokens": analysis.pack_tokens(chunk.section_tokens) if chunk.section_path else None,
        "paragraph": chunk.paragraph,
        "part": chunk.part,
        "district": doc.district or "",
        "year": str(doc.year) if doc.year else "",
        "date": doc.date or "",
        "domain": ",".join(chunk.domains),
        "domain_set": ",".join(chunk.domains).encode("utf-8"),
        "issuer": ",".join(issuers),
        "issuer_set": ",".join(issuers).encode("utf-8"),
        "kind": doc.kind or "",
        "text_norm": ranking.fieldnorm_id(len(text_tokens)),
        "section_norm": ranking.fieldnorm_id(len(chunk.section_tokens) if chunk.section_path else 0),
        "title_norm": ranking.fieldnorm_id(len(doc.title_tokens) if doc.title else 0),
    }
