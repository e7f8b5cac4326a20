"""The faults real life brings, injected for real: a writer process killed as
the OOM killer would, a full disk (a small tmpfs), a lost or garbled CURRENT,
a truncated table of contents, FIFOs, /dev/zero, unreadable folders, files
nobody meant to index. Each proves that no answer is wrong and no paragraph
or index is lost, and that the user is told in one line.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from search import config
from tests.conftest import FILE_ENGINES
from search.engines import live_engine
from search.service import Options, SearchService
from search.engines import open_engine

SEEDS = config.PROJECT_ROOT / "data" / "corpus"
REQUIRED = bool(os.environ.get("REFORM_SEARCH_REQUIRE_FAULTS"))  # .ci/run: no fault test may skip


def skip_or_fail(reason: str):
    if REQUIRED:
        pytest.fail(f"fault test required but not possible here: {reason}")
    pytest.skip(reason)


def run(*args, timeout=120, env=None, prefix=()) -> subprocess.CompletedProcess:
    return subprocess.run([*prefix, sys.executable, "-m", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=config.PROJECT_ROOT, env=env)


def index_cmd(corpus, index, *extra, **kw):
    return run("indexer.cli", "--corpus", str(corpus), "--index", str(index), "--no-progress", *extra, **kw)


def search_cmd(*args, **kw):
    return run("search.cli", *args, **kw)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


def answers(index: Path) -> tuple[int, int]:
    """(放管服 total, paragraphs) as a freshly opened reader sees them."""
    service = SearchService(open_engine(index))
    try:
        return service.search("放管服", Options(limit=1))["total"], service.engine.stats()["paragraphs"]
    finally:
        service.engine.close()


def listing(root: Path) -> dict[str, int]:
    """Every file of an index and its size (the indexer's empty lock file aside)."""
    return {str(p.relative_to(root)): p.stat().st_size for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != ".indexer.lock"}


def copies(root: Path, n: int) -> Path:
    corpus = root / "corpus"
    for i in range(n):
        shutil.copytree(SEEDS, corpus / f"copy{i}")
    return corpus


@pytest.fixture(scope="module", params=FILE_ENGINES)
def pristine(request, tmp_path_factory):
    """Twelve copies of the seeds (60 documents) and their index, built once
    per engine."""
    root = tmp_path_factory.mktemp(f"pristine-{request.param}")
    corpus = copies(root, 12)
    done = index_cmd(corpus, root / "index", "--procs", "1", "--engine", request.param)
    assert done.returncode == 0, done.stderr
    return root


@pytest.fixture
def built(pristine, tmp_path):
    """A private copy of ``pristine`` for a test to damage (the corpus path is
    the same, so the copied index is up to date with it)."""
    index = tmp_path / "index"
    shutil.copytree(pristine / "index", index)
    (index / ".indexer.lock").unlink(missing_ok=True)
    return pristine / "corpus", index


@pytest.fixture(params=FILE_ENGINES)
def built_own(tmp_path, request):
    """Corpus and index of this test's own, for a test that changes the corpus."""
    corpus = copies(tmp_path, 12)
    index = tmp_path / "index"
    done = index_cmd(corpus, index, "--procs", "1", "--engine", request.param)
    assert done.returncode == 0, done.stderr
    return corpus, index


def _children(pid: int) -> list[int]:
    try:
        return [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _started(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])


PROCS = 2


def _kill_a_child(corpus, index, which: str, *extra) -> subprocess.CompletedProcess:
    """Run the indexer with two processes and kill -9 one of its children as
    the OOM killer would: an analysis process (they start first) or, for
    Whoosh, one of the writer processes that start after them."""
    proc = subprocess.Popen([sys.executable, "-m", "indexer.cli", "--corpus", str(corpus), "--index", str(index),
                             "--no-progress", "--procs", str(PROCS), *extra], cwd=config.PROJECT_ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wanted = 1 if which == "analysis" else PROCS + 1
    deadline = time.monotonic() + 60
    while len(_children(proc.pid)) < wanted and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    kids = sorted(_children(proc.pid), key=_started)
    if len(kids) < wanted:
        proc.kill()
        pytest.fail(f"the indexer started no {which} process")
    os.kill(kids[0] if which == "analysis" else kids[-1], signal.SIGKILL)
    out, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _victims(index) -> list[str]:
    return ["analysis", "writer"] if live_engine(index) == "whoosh" else ["analysis"]


# (the pool may be told of the death by a sibling it terminated: the signal
# named is then 15, the run fails all the same)
FAILED = {"analysis": "an analysis process failed (killed by signal", "writer": "a writer process failed"}


def test_a_killed_indexer_process_fails_the_rebuild_and_the_old_index_keeps_serving(built_own):
    corpus, index = built_own
    before = answers(index)
    (corpus / "copy0" / "extra.txt").write_text("新增文件\n\n深化放管服改革，优化营商环境。\n", encoding="utf-8")
    for which in _victims(index):
        done = _kill_a_child(corpus, index, which, "--rebuild")
        assert done.returncode == 1, (which, done.stdout, done.stderr)
        assert FAILED[which] in one_line(done.stderr) and "unchanged" in done.stderr
        assert "added" not in done.stdout  # no success summary
        assert answers(index) == before
        assert (index / "CURRENT").read_text().strip() == "gen-000001"
        assert sorted(p.name for p in index.glob("gen-*")) == ["gen-000001"]
    again = index_cmd(corpus, index, "--rebuild")
    assert again.returncode == 0, again.stderr
    assert answers(index) == (before[0] + 1, before[1] + 1)


def test_a_killed_indexer_process_fails_an_incremental_run_without_touching_the_index(built_own):
    corpus, index = built_own
    before = answers(index)
    for path in sorted(corpus.rglob("*.txt")):  # every file changed: a large run, worker processes
        path.write_text(path.read_text(encoding="utf-8") + "\n补充说明：深化改革。\n", encoding="utf-8")
    for which in _victims(index):
        done = _kill_a_child(corpus, index, which)
        assert done.returncode == 1, (which, done.stdout, done.stderr)
        assert FAILED[which] in one_line(done.stderr)
        assert answers(index) == before


# ------------------------------------------------------------------ full disk


@pytest.fixture
def small_disk(tmp_path):
    if os.geteuid() != 0 or not shutil.which("mount"):
        skip_or_fail("mounting a tmpfs needs root")
    mnt = tmp_path / "disk"
    mnt.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=40m", "tmpfs", str(mnt)], capture_output=True, text=True)
    if done.returncode != 0:
        skip_or_fail(f"cannot mount a tmpfs: {done.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def _fill(disk: Path, leave: int) -> Path:
    filler = disk / "filler"
    free = shutil.disk_usage(disk).free
    with open(filler, "wb") as fh:
        fh.write(b"\0" * max(0, free - leave))
    return filler


@pytest.mark.parametrize("engine", FILE_ENGINES)
@pytest.mark.parametrize("procs", ["1", "2"])
def test_a_full_disk_fails_fast_keeps_the_old_index_and_leaves_nothing_behind(tmp_path, small_disk, procs, engine):
    corpus = copies(tmp_path, 12)
    index = small_disk / "index"
    assert index_cmd(SEEDS, index, "--engine", engine).returncode == 0
    before = answers(index)
    filler = _fill(small_disk, leave=200_000)
    for attempt in range(3):  # each later run with the disk still full
        started = time.monotonic()
        done = index_cmd(corpus, index, "--rebuild", "--procs", procs, timeout=120)
        assert time.monotonic() - started < 60
        assert done.returncode == 1, (done.stdout, done.stderr)
        line = one_line(done.stderr)
        assert "disk full" in line or "No space left" in line, line
        assert "unchanged" in line
        assert answers(index) == before
        assert sorted(p.name for p in index.glob("gen-*")) == ["gen-000001"], attempt
        assert not list(index.glob("*.tmp"))
    filler.unlink()
    done = index_cmd(corpus, index, "--rebuild", "--procs", procs)
    assert done.returncode == 0, done.stderr
    assert answers(index)[0] == before[0] * 12
    assert sorted(p.name for p in index.glob("gen-*")) == ["gen-000001", "gen-000002"]


def test_a_full_disk_during_an_incremental_run_keeps_the_old_index(tmp_path, small_disk):
    corpus = copies(tmp_path, 1)
    index = small_disk / "index"
    assert index_cmd(corpus, index).returncode == 0
    before = answers(index)
    shutil.copytree(copies(tmp_path / "more", 12), corpus / "more")
    filler = _fill(small_disk, leave=100_000)
    done = index_cmd(corpus, index, timeout=120)
    assert done.returncode == 1 and "unchanged" in one_line(done.stderr)
    assert answers(index) == before
    filler.unlink()
    done = index_cmd(corpus, index)
    assert done.returncode == 0, done.stderr
    assert answers(index)[0] == before[0] * 13
    gen = index / "gen-000001"
    leftovers = [p.name for p in gen.iterdir() if p.suffix == ".tmp" or p.name.endswith(".doclist")]
    assert not leftovers


# ------------------------------------------------------------------ a damaged index


def _damage_current(index: Path, how: str) -> None:
    pointer = index / "CURRENT"
    if how == "missing":
        pointer.unlink()
    elif how == "garbled":
        pointer.write_bytes(b"\xff\xfe garbage \x00")
    elif how == "dangling":
        pointer.write_text("gen-000099\n")
    elif how == "truncated-toc":  # Whoosh's table of contents, tantivy's meta.json
        toc = next((index / "gen-000001").glob("_MAIN_*.toc"), None) or index / "gen-000001" / "meta.json"
        toc.write_bytes(toc.read_bytes()[:40])


@pytest.mark.parametrize("how", ["missing", "garbled", "dangling", "truncated-toc"])
def test_reading_commands_never_write_to_a_damaged_index(built, how):
    corpus, index = built
    _damage_current(index, how)
    before = listing(index)
    env = {**os.environ, "REFORM_SEARCH_INDEX": str(index)}  # the default location: where auto-build lives
    for done in (search_cmd("放管服", env=env), search_cmd("放管服", "--index", str(index)),
                 run("web.cli", "--index", str(index), "--port", str(free_port()), timeout=60)):
        assert done.returncode == 1, (done.stdout, done.stderr)
        line = one_line(done.stderr)
        assert "damaged" in line and "search-index --rebuild" in line, line
    assert listing(index) == before  # not one byte written, nothing deleted
    refused = index_cmd(corpus, index)
    assert refused.returncode == 1 and "--rebuild" in one_line(refused.stderr)
    assert listing(index) == before
    rebuilt = index_cmd(corpus, index, "--rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert answers(index)[0] > 0
    assert search_cmd("放管服", "--index", str(index)).returncode == 0


def test_the_web_app_answers_503_on_a_damaged_index(built):
    from web.cli import app_for

    corpus, index = built
    client = app_for(["--index", str(index)]).test_client()
    assert client.get("/api/search?q=放管服").status_code == 200
    _damage_current(index, "garbled")
    client = app_for(["--index", str(index)]).test_client()
    r = client.get("/api/search?q=放管服")
    assert r.status_code == 503 and "损坏" in r.get_json()["error"]
    assert client.get("/?q=放管服").status_code == 503
    assert client.get("/healthz").status_code == 503


def test_an_index_folder_that_does_not_exist_is_an_error_not_a_new_index(tmp_path):
    missing = tmp_path / "typo"
    done = search_cmd("放管服", "--index", str(missing))
    assert done.returncode == 2 and "no index" in one_line(done.stderr)
    assert not missing.exists()
    done = run("web.cli", "--index", str(missing))
    assert done.returncode == 2 and not missing.exists()
    built = search_cmd("放管服", "--index", str(missing), "--corpus", str(SEEDS))  # asked for: built
    assert built.returncode == 0 and "共 5 段" in built.stdout


def test_the_default_location_builds_itself_once(tmp_path):
    env = {**os.environ, "REFORM_SEARCH_INDEX": str(tmp_path / "default-index")}
    first = search_cmd("放管服", env=env)
    assert first.returncode == 0 and "共 5 段" in first.stdout and "建立索引" in first.stderr
    second = search_cmd("放管服", env=env)
    assert second.returncode == 0 and "建立索引" not in second.stderr


def test_a_run_after_a_kill_clears_every_abandoned_generation_and_temp_file(built):
    corpus, index = built
    before = answers(index)
    for name in ("gen-000002", "gen-000003"):  # what killed rebuilds leave
        (index / name).mkdir()
        (index / name / "_MAIN_1.toc").write_bytes(b"partial")
    (index / "CURRENT.tmp").write_text("gen-000003\n")
    live = index / "gen-000001"
    whoosh = live_engine(index) == "whoosh"
    if whoosh:  # what its killed writer processes leave in the live generation
        (live / "MAIN_orphan1234.seg").write_bytes(b"x" * 100)  # a segment never committed
        (live / "MAIN.tmp").mkdir()
        (live / "MAIN.tmp" / "abc.doclist").write_bytes(b"x")
    done = index_cmd(corpus, index)  # a plain incremental run, nothing to index
    assert done.returncode == 0, done.stderr
    assert "leftover" in done.stdout
    assert sorted(p.name for p in index.glob("gen-*")) == ["gen-000001"]
    assert not (index / "CURRENT.tmp").exists()
    assert not (live / "MAIN_orphan1234.seg").exists() and not (live / "MAIN.tmp").exists()
    assert any(p.name == "meta.json" or p.suffix == ".toc" for p in live.iterdir())
    assert answers(index) == before


# ------------------------------------------------------------------ files nobody meant to index


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


GOOD = "深化改革说明\n\n本区持续深化放管服改革，优化营商环境。\n"


@pytest.mark.parametrize("sidecar,field,kept", [
    ('{"year": "abc"}', "year", None),
    ('{"year": NaN}', "year", None),
    ('{"year": Infinity}', "year", None),
    ('{"year": 20200}', "year", None),
    ('{"year": true}', "year", None),
    ('{"date": 12345}', "date", None),
    ('{"date": "not-a-date"}', "date", None),
    ('{"date": "2024-02-30"}', "date", None),
    ('{"district": ["a"]}', "district", None),
    ('{"title": 7}', "title", None),
    ('not json at all', None, None),
    ('[1, 2]', None, None),
    ('{"year": 2024, "date": "2024-03-01", "district": "龙华"}', None, ("2024-03-01", 2024, "龙华区")),
])
def test_a_bad_sidecar_field_is_ignored_with_its_reason_and_the_document_indexed(tmp_path, sidecar, field, kept):
    corpus = tmp_path / "corpus"
    _write(corpus / "a.txt", GOOD)
    _write(corpus / "b.txt", GOOD.replace("深化改革说明", "另一份说明"))
    (corpus / "a.txt.meta.json").write_text(sidecar, encoding="utf-8")
    done = index_cmd(corpus, tmp_path / "ix")
    assert done.returncode == 0, done.stderr
    assert "2 added" in done.stdout
    doc = next(d for d in _documents(tmp_path / "ix") if d.source == "a.txt")
    if kept is None:
        assert "a.txt.meta.json" in done.stdout and "warning" in done.stdout
        if field:
            assert f"{field} " in done.stdout and "ignored" in done.stdout
        assert doc.year is None and doc.date is None
    else:
        assert (doc.date, doc.year, doc.district) == kept
        assert "warning" not in done.stdout


def _documents(index: Path):
    engine = open_engine(index)
    try:
        return [engine.document(doc_id) for doc_id in engine.indexed_documents()]
    finally:
        engine.close()


def test_a_file_name_that_is_not_utf8_is_skipped_and_the_rest_indexed(tmp_path):
    corpus = tmp_path / "corpus"
    _write(corpus / "good.txt", GOOD)
    fd = os.open(os.fsencode(corpus) + b"/bad-\xff\xfe.txt", os.O_WRONLY | os.O_CREAT)
    os.write(fd, GOOD.encode("utf-8"))
    os.close(fd)
    done = index_cmd(corpus, tmp_path / "ix")
    assert done.returncode == 0, done.stderr
    assert "1 added" in done.stdout
    assert "bad-\\xff\\xfe.txt: file name is not valid UTF-8" in done.stdout
    assert answers(tmp_path / "ix")[0] > 0


def test_a_newline_in_a_file_name_cannot_forge_a_report_line(tmp_path):
    corpus = tmp_path / "corpus"
    _write(corpus / "good.txt", GOOD)
    (corpus / "evil\ndocuments: 999 added.txt").write_bytes(b"")
    done = index_cmd(corpus, tmp_path / "ix")
    assert done.returncode == 0
    assert [line for line in done.stdout.splitlines() if line.startswith("documents:")] == \
        [line for line in done.stdout.splitlines() if "1 added" in line]
    assert "evil\\ndocuments: 999 added.txt: empty file" in done.stdout


def test_fifos_devices_and_huge_files_are_skipped_with_their_reason_never_read(tmp_path):
    from indexer.read import MAX_FILE_BYTES

    corpus = tmp_path / "corpus"
    _write(corpus / "good.txt", GOOD)
    os.mkfifo(corpus / "a.txt")
    (corpus / "zero.txt").symlink_to("/dev/zero")
    (corpus / "dangling.txt").symlink_to(tmp_path / "nowhere")
    with open(corpus / "huge.txt", "wb") as fh:  # sparse: the size is what counts
        fh.truncate(MAX_FILE_BYTES + 1)
    started = time.monotonic()
    done = index_cmd(corpus, tmp_path / "ix", timeout=60)
    assert time.monotonic() - started < 30
    assert done.returncode == 0, done.stderr
    assert "1 added" in done.stdout
    assert "a.txt: not a regular file (a named pipe (FIFO))" in done.stdout
    assert "zero.txt: not a regular file (a character device)" in done.stdout
    assert "dangling.txt: cannot be opened" in done.stdout
    assert "huge.txt: larger than the 64 MB limit (64.0 MB)" in done.stdout


def _without_dac_override() -> tuple[str, ...]:
    """A command prefix under which permission bits hold (root ignores them)."""
    if os.geteuid() != 0:
        return ()
    if shutil.which("setpriv"):
        return ("setpriv", "--bounding-set=-dac_override,-dac_read_search", "--")
    skip_or_fail("running as root without setpriv: permission bits cannot be tested")


def test_an_unreadable_folder_is_reported_and_its_documents_stay(built):
    corpus, index = built
    before = answers(index)
    locked = corpus / "copy3"
    prefix = _without_dac_override()
    locked.chmod(0)
    try:
        done = index_cmd(corpus, index, prefix=prefix)
    finally:
        locked.chmod(0o755)
    assert done.returncode == 0, done.stderr
    assert "copy3/: folder cannot be read" in done.stdout and "stay in the index" in done.stdout
    assert "0 removed" in done.stdout
    assert answers(index) == before
    again = index_cmd(corpus, index)  # readable again: nothing to do, nothing was lost
    assert again.returncode == 0 and "60 unchanged" in again.stdout
