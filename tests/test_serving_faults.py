"""The index under a running server or CLI, as an unlucky operator meets it:
a damaged segment, a rebuild into another engine, a worker the OOM killer
took. Each is one line or a 503, and the server goes on serving."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from indexer.build import build_index
from search import config
from tests.conftest import FILE_ENGINES, SEEDS


def run(*args, timeout=120, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, timeout=timeout,
                          cwd=config.PROJECT_ROOT, **kw)


def one_line(done: subprocess.CompletedProcess) -> str:
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    return lines[0]




@pytest.mark.parametrize("engine", FILE_ENGINES)
def test_a_damaged_segment_is_one_line_in_the_cli_and_a_503_on_the_web(tmp_path, engine):
    from tests.conftest import build
    from web.app import create_app

    build([SEEDS], tmp_path / "ix", engine)
    gen = next((tmp_path / "ix").glob("gen-*"))
    segment = max((f for f in gen.iterdir() if f.suffix in (".seg", ".store")), key=lambda f: f.stat().st_size)
    data = segment.read_bytes()
    segment.write_bytes(data[: len(data) // 2])
    done = run("search.cli", "放管服", "--index", str(tmp_path / "ix"))
    line = one_line(done)
    assert done.returncode == 1 and "the index is damaged" in line and "search-index --rebuild" in line
    client = create_app(index=tmp_path / "ix").test_client()
    for url in ("/api/search?q=放管服", "/?q=放管服", "/healthz"):
        assert client.get(url).status_code == 503, url
    assert "索引已损坏" in client.get("/api/search?q=放管服").get_json()["error"]
    rebuilt = run("indexer.cli", "--corpus", str(SEEDS), "--index", str(tmp_path / "ix"), "--rebuild", "--no-progress")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert client.get("/api/search?q=放管服").get_json()["total"] == 5  # the same server, the index rebuilt


def test_a_running_server_follows_a_rebuild_into_another_engine(tmp_path):
    from web.app import create_app

    build_index([SEEDS], tmp_path / "ix", progress=False)
    client = create_app(index=tmp_path / "ix").test_client()
    before = client.get("/api/search?q=放管服").get_json()
    for engine in ("tantivy", "whoosh"):
        done = run("indexer.cli", "--corpus", str(SEEDS), "--index", str(tmp_path / "ix"), "--engine", engine,
                   "--rebuild", "--no-progress")
        assert done.returncode == 0, done.stderr
        r = client.get("/api/search?q=放管服")
        assert r.status_code == 200 and r.get_json()["total"] == before["total"]
        assert client.get("/healthz").get_json()["engine"] == engine


def _port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_killed_worker_is_replaced_and_logged_and_the_port_stays_open(seed_index, tmp_path):
    port = _port()
    log = tmp_path / "web.log"
    with open(log, "w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "web.cli", "--index", str(seed_index), "--port", str(port)],
                                cwd=config.PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=err)
    base = f"http://127.0.0.1:{port}"

    def worker() -> int:
        return json.loads(urllib.request.urlopen(base + "/healthz", timeout=10).read())["worker"]

    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                victim = worker()
                break
            except OSError:
                time.sleep(0.2)
        os.kill(victim, signal.SIGKILL)  # as the OOM killer does
        time.sleep(1)
        seen = set()
        for _ in range(40):
            with urllib.request.urlopen(base + "/api/search?q=%E6%94%BE%E7%AE%A1%E6%9C%8D", timeout=20) as r:
                assert json.loads(r.read())["total"] == 5
            seen.add(worker())
        assert victim not in seen
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert proc.returncode == 0
    text = log.read_text(encoding="utf-8")
    assert f"worker {victim} ended (killed by signal 9); worker" in text and "serves in its place" in text, text


@pytest.mark.parametrize("engine", FILE_ENGINES)
def test_an_index_from_another_version_says_so_and_how_to_rebuild(tmp_path, engine):
    """An upgrade that changed the index format (tantivy schema 4 → 5:
    quotes' exact characters) is no damage: one line saying it is another
    version's, exit 1, and 503s that say the same; the rebuild cures it."""
    from tests.conftest import build
    from web.app import create_app

    build([SEEDS], tmp_path / "ix", engine)
    stamp = next((tmp_path / "ix").glob("gen-*")) / "reform-search.json"
    meta = json.loads(stamp.read_text(encoding="utf-8"))
    stamp.write_text(json.dumps(dict(meta, schema=1)), encoding="utf-8")
    done = run("search.cli", "放管服", "--index", str(tmp_path / "ix"))
    line = one_line(done)
    assert done.returncode == 1 and "from another version" in line and "search-index --rebuild" in line, line
    client = create_app(index=tmp_path / "ix").test_client()
    answer = client.get("/api/search?q=放管服")
    assert answer.status_code == 503 and "其他版本" in answer.get_json()["error"]
    build_index([SEEDS], tmp_path / "ix", rebuild=True, progress=False)
    assert run("search.cli", "放管服", "--index", str(tmp_path / "ix")).returncode == 0

