"""Staying power: readers during a rebuild, kill -9 mid-run, two indexers at once.

Small corpora and bounded loops keep these fast; every one drives the real
commands in child processes, as a user or a cron job would.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from search import config
from tests.conftest import FILE_ENGINES
from search.service import SearchService
from search.engines import open_engine

SEEDS = config.PROJECT_ROOT / "data" / "corpus"
NEW_WORD = "钛合金量子改革"  # only in the document added before a rebuild
NEW_DOC = f"新增文件\n\n2023年，本区推进{NEW_WORD}试点，深化营商环境改革。\n"


def make_corpus(root: Path, copies: int) -> Path:
    corpus = root / "corpus"
    for n in range(copies):
        shutil.copytree(SEEDS, corpus / f"copy{n}")
    return corpus


def indexer(corpus: Path, index: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "indexer.cli", "--corpus", str(corpus), "--index", str(index),
                             "--no-progress", *extra], cwd=config.PROJECT_ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def run_indexer(corpus: Path, index: Path, *extra: str) -> subprocess.CompletedProcess:
    proc = indexer(corpus, index, *extra)
    out, err = proc.communicate(timeout=300)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def totals(index: Path) -> tuple[int, int]:
    """(放管服 total, NEW_WORD total) from a freshly opened index."""
    service = SearchService(open_engine(index))
    try:
        return service.search("放管服", _opts())["total"], service.search(NEW_WORD, _opts())["total"]
    finally:
        service.engine.close()


def _opts():
    from search.service import Options

    return Options(limit=3)


@pytest.fixture(params=FILE_ENGINES)
def built(request, tmp_path):
    """Four copies of the seeds, indexed by each engine in turn (later runs
    keep the index's own engine)."""
    corpus = make_corpus(tmp_path, copies=4)
    index = tmp_path / "index"
    done = run_indexer(corpus, index, "--procs", "1", "--engine", request.param)
    assert done.returncode == 0, done.stderr
    return corpus, index


def test_web_keeps_answering_through_a_rebuild_and_then_serves_the_new_index(built):
    from waitress.server import create_server

    from web.cli import app_for

    corpus, index = built
    before, _ = totals(index)
    (corpus / "new.txt").write_text(NEW_DOC, encoding="utf-8")
    srv = create_server(app_for(["--index", str(index)]), host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=srv.run, daemon=True).start()
    base = f"http://127.0.0.1:{srv.effective_port}"
    import json
    import urllib.request

    def get(path):
        with urllib.request.urlopen(base + path, timeout=30) as r:
            return r.status, json.loads(r.read())

    generation = get("/healthz")[1]["generation"]
    statuses, seen_totals, failures = [], [], []
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            try:
                status, data = get("/api/search?q=%E6%94%BE%E7%AE%A1%E6%9C%8D")  # 放管服
                statuses.append(status)
                seen_totals.append(data["total"])
            except Exception as exc:  # a refused or failed request is what we test against
                failures.append(repr(exc))

    readers = [threading.Thread(target=reader) for _ in range(4)]
    for t in readers:
        t.start()
    try:
        rebuild = run_indexer(corpus, index, "--rebuild", "--procs", "1")
        time.sleep(0.5)
    finally:
        stop.set()
        for t in readers:
            t.join(timeout=30)
    try:
        assert rebuild.returncode == 0, rebuild.stderr
        assert failures == []
        assert len(statuses) > 20 and set(statuses) == {200}
        assert set(seen_totals) == {before}
        # switched without a restart: the new document is found, a new generation serves
        health = get("/healthz")[1]
        assert health["generation"] != generation
        assert get("/api/search?q=" + urllib.request.quote(NEW_WORD))[1]["total"] == 1
    finally:
        srv.close()


@pytest.mark.parametrize("mode", ["--rebuild", "incremental"])
def test_kill_9_at_any_point_leaves_the_previous_index_answering(built, mode):
    corpus, index = built
    before = totals(index)
    assert before[1] == 0
    for f in corpus.rglob("*.txt"):  # every file changed: the incremental run redoes them all
        f.write_text(f.read_text(encoding="utf-8") + "\n附：本文件已更新。\n", encoding="utf-8")
    (corpus / "new.txt").write_text(NEW_DOC, encoding="utf-8")
    (corpus / "copy0" / "000_c07cc74dd9d7fd3d.txt").write_text("改过的文件\n\n这里不再提到那项改革。\n", encoding="utf-8")
    extra = ["--rebuild"] if mode == "--rebuild" else []
    killed, seen = 0, []
    for delay in (0.3, 0.6, 0.9, 1.2, 1.5, 2.2, 3.0, 4.0):  # dense: a fast engine finishes in about a second
        proc = indexer(corpus, index, *extra, "--procs", "1")
        time.sleep(delay)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            killed += 1
        proc.wait(timeout=60)
        seen.append((delay, totals(index)))  # opens and answers after every kill
        if seen[-1][1] != before:  # the commit landed (just before the kill, or the run ended)
            break
    assert killed >= 2
    done = run_indexer(corpus, index, *extra, "--procs", "1")
    assert done.returncode == 0, done.stderr
    after = totals(index)
    assert after[1] == 1 and after[0] < before[0]  # the changed copy no longer mentions 放管服
    # never a mixture: every state a reader saw is the old index or the whole new one
    assert all(state in (before, after) for _, state in seen), seen
    generations = [p for p in index.iterdir() if p.name.startswith("gen-")]
    assert len(generations) <= 2  # abandoned generations are cleared away


def test_two_indexers_at_once_one_waits_nothing_is_corrupted(built):
    corpus, index = built
    before = totals(index)
    (corpus / "new.txt").write_text(NEW_DOC, encoding="utf-8")
    first = indexer(corpus, index, "--rebuild", "--procs", "1")
    deadline = time.monotonic() + 60
    while not (index / "gen-000002").exists():  # made only while holding the lock
        assert first.poll() is None and time.monotonic() < deadline
        time.sleep(0.02)
    refused = run_indexer(corpus, index, "--rebuild")
    waiting = indexer(corpus, index, "--wait", "120")
    out, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    assert refused.returncode == 1 and "another indexer" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    out, err = waiting.communicate(timeout=300)
    assert waiting.returncode == 0, err
    assert "0 added" in out and "unchanged" in out  # it waited, then found the work done
    assert totals(index) == (before[0], 1)


def test_many_threads_share_one_engine_without_reading_each_others_blocks(seed_index):
    """waitress runs searches on 8 threads against one opened engine."""
    from search.service import Options

    service = SearchService(open_engine(seed_index))
    queries = ["改革", "放管服", "营商环境 district:龙华区", '"强区放权"', "社区 OR 城中村", "政府 服务", "改革 -社区",
               "创新", "district:光明区", "year:2018 改革"]
    expected = {q: service.search(q, Options(limit=20)) for q in queries}
    errors, mismatches = [], []

    def worker(k):
        for i in range(60):
            q = queries[(i + k) % len(queries)]
            try:
                r = service.search(q, Options(limit=20))
            except Exception as exc:
                errors.append(repr(exc))
                continue
            if r != expected[q]:
                mismatches.append(q)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often, as a loaded server does; one shared
    try:                         # searcher then fails dozens of times here
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert errors == [] and mismatches == []


def test_search_web_workers_share_the_port_and_stop_together(seed_index):
    import json
    import socket
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "web.cli", "--index", str(seed_index), "--port", str(port),
                             "--workers", "2", "--threads", "2"], cwd=config.PROJECT_ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        workers = set()
        deadline = time.monotonic() + 60
        while len(workers) < 2 and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as r:
                    workers.add(json.loads(r.read())["worker"])
            except OSError:
                time.sleep(0.1)
        assert len(workers) == 2  # two processes answer on one port
        busy = subprocess.run([sys.executable, "-m", "web.cli", "--index", str(seed_index), "--port", str(port)],
                              cwd=config.PROJECT_ROOT, capture_output=True, text=True, timeout=60)
        assert busy.returncode == 1 and len(busy.stderr.strip().splitlines()) == 1
        assert "in use" in busy.stderr
    finally:
        proc.terminate()
        assert proc.wait(timeout=30) == 0
    for pid in workers:  # the workers went with it
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
