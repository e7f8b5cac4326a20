"""A Whoosh worker does not hold a copy of the index per thread.

Each thread has its own Whoosh searcher (a reader moves one file position
through its postings), and Whoosh opened each part of a segment by copying
it out of the memory map: a worker serving 4 threads held the index 4 times
(5.3 GB at the bench's 364,000 paragraphs). Measured here as the Python
memory a new thread's first searches allocate, against the index's size.
"""
from __future__ import annotations

import threading
import tracemalloc

from search.engines import open_engine
from search.service import Options, SearchService
from tests.conftest import build


def _segments_bytes(index) -> int:
    return sum(p.stat().st_size for p in index.rglob("*.seg"))


def test_a_new_threads_searcher_reads_the_index_in_place(tmp_path):
    from search import config

    index = tmp_path / "ix"
    build([config.PROJECT_ROOT / "data" / "corpus"], index, "whoosh")
    on_disk = _segments_bytes(index)
    assert on_disk > 500_000  # the seeds' segments: large beside what a search keeps
    service = SearchService(open_engine(index), time_limit=5.0)
    first = service.search("放管服", Options())
    assert first["total"] > 0

    answers = []

    def serve():  # what a new server thread does: its own searcher, then searches
        answers.append(service.search("放管服", Options()))
        answers.append(service.search("营商环境 改革", Options(sort="date")))
        answers.append(service.by_document("强区放权", Options()))

    tracemalloc.start()
    try:
        thread = threading.Thread(target=serve)
        thread.start()
        thread.join()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert answers[0]["total"] == first["total"] and [h["chunk_id"] for h in answers[0]["hits"]] == \
        [h["chunk_id"] for h in first["hits"]]
    assert peak < on_disk / 4, f"a new thread's searches took {peak:,} bytes beside a {on_disk:,}-byte index"
