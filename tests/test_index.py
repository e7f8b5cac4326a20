"""search-index: incremental updates, skipped files with reasons, a usable index after failures."""
import shutil
import subprocess
import sys

import pytest

from search import config

from indexer.build import build_index
from search.storage import IndexBusy
from search.service import Options, SearchService
from search.engines import open_engine
from tests.conftest import SEEDS


def run_index(*args):
    return subprocess.run([sys.executable, "-m", "indexer.cli", "--no-progress", *map(str, args)],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    shutil.copytree(SEEDS, folder)
    return folder


def test_rerun_on_unchanged_corpus_reindexes_nothing(corpus, tmp_path):
    index = tmp_path / "ix"
    first = build_index([corpus], index, progress=False)
    assert first.added == 5 and first.paragraphs > 200
    second = build_index([corpus], index, progress=False)
    assert (second.added, second.changed, second.removed, second.unchanged) == (0, 0, 0, 5)
    assert second.paragraphs == 0


def test_changed_new_and_deleted_files(corpus, tmp_path):
    index = tmp_path / "ix"
    build_index([corpus], index, progress=False)
    (corpus / "004_0acaf77349eb75c1.txt").unlink()
    (corpus / "new.txt").write_text("坪山区2024年改革要点\n\n深化放管服改革，坪山区推行秒批秒报。\n", encoding="utf-8")
    p = corpus / "000_c07cc74dd9d7fd3d.txt"
    p.write_text(p.read_text(encoding="utf-8") + "\n新增段落：龙华区探索独角兽企业培育机制。\n", encoding="utf-8")
    report = build_index([corpus], index, progress=False)
    assert (report.added, report.changed, report.removed, report.unchanged) == (1, 1, 1, 3)
    service = SearchService(open_engine(index))
    assert service.search("独角兽")["total"] == 1
    assert service.search("秒批秒报", Options(district=["坪山区"]))["total"] == 1
    assert "光明区" not in service.search("放管服")["facets"]["district"]
    # the changed document was replaced, not duplicated
    assert service.search("双区驱动")["total"] == service.search("双区驱动")["total"]
    assert len({h["chunk_id"] for h in service.search("龙华区", Options(limit=100))["hits"]}) == \
        len(service.search("龙华区", Options(limit=100))["hits"])


def test_bad_files_are_skipped_with_reasons_and_the_rest_indexed(corpus, tmp_path):
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "image.html").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00" + bytes(range(256)) * 20)
    (corpus / "big5.txt").write_bytes("龍崗區深化「放管服」改革。".encode("big5"))
    result = run_index("--corpus", corpus, "--index", tmp_path / "ix")
    assert result.returncode == 0, result.stderr
    assert "empty.txt: empty file" in result.stdout
    assert "image.html: binary" in result.stdout
    assert "6 added" in result.stdout
    service = SearchService(open_engine(tmp_path / "ix"))
    hits = service.search("放管服 龙岗")["hits"]
    assert any(h["source"] == "big5.txt" for h in hits)


def test_missing_corpus_is_a_one_line_usage_error(tmp_path):
    result = run_index("--corpus", tmp_path / "nope", "--index", tmp_path / "ix")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "not found" in result.stderr
    assert "Traceback" not in result.stderr


def test_second_indexer_on_the_same_index_is_refused_clearly(corpus, tmp_path):
    from filelock import FileLock

    index = tmp_path / "ix"
    index.mkdir()
    with FileLock(str(index / ".indexer.lock")):
        with pytest.raises(IndexBusy):
            build_index([corpus], index, progress=False)
        result = run_index("--corpus", corpus, "--index", index)
    assert result.returncode == 1 and "another indexer" in result.stderr


def test_a_rebuild_in_which_every_file_fails_leaves_the_previous_index_searchable(corpus, tmp_path, monkeypatch):
    index = tmp_path / "ix"
    build_index([corpus], index, progress=False)
    before = SearchService(open_engine(index)).search("放管服")["total"]
    import indexer.build as build
    import indexer.pool as pool

    def boom(*a, **k):
        raise RuntimeError("a bug every file sets off")

    monkeypatch.setattr(pool, "process_file", boom)  # where the analysis processes look it up
    with pytest.raises(build.RunFailed, match="no file could be processed"):
        build_index([corpus], index, rebuild=True, progress=False)
    assert SearchService(open_engine(index)).search("放管服")["total"] == before
    assert [g.name for g in index.iterdir() if g.name.startswith("gen-")] == ["gen-000001"]


def test_parallel_writers_build_the_same_index(tmp_path, service):
    SEEDS = config.PROJECT_ROOT / "data" / "corpus"
    from indexer.build import build_index
    from search.service import Options, SearchService
    from search.engines import open_engine

    from tests.conftest import build

    report = build([SEEDS], tmp_path / "ix", service.engine.NAME, procs=2)
    parallel = SearchService(open_engine(tmp_path / "ix"))
    for q in ("放管服", "营商环境 district:龙华区", '"强区放权"', "改革"):
        a, b = service.search(q, Options(limit=20)), parallel.search(q, Options(limit=20))
        assert a["total"] == b["total"] and a["facets"] == b["facets"], q
        # the same ranking, ties (equal scores) in any order
        assert [h["score"] for h in a["hits"]] == [h["score"] for h in b["hits"]], q
        if a["total"] <= 20:
            assert {h["chunk_id"] for h in a["hits"]} == {h["chunk_id"] for h in b["hits"]}, q
    # an incremental run with parallel writers changes only what changed
    again = build_index([SEEDS], tmp_path / "ix", progress=False, procs=2)
    assert again.unchanged == report.added == 5


def test_a_regular_install_finds_its_data_under_the_prefix(tmp_path, monkeypatch):
    import sys

    monkeypatch.delenv("REFORM_SEARCH_DATA", raising=False)
    monkeypatch.setattr(config, "PROJECT_ROOT", tmp_path / "site-packages")  # no data/ beside the code
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "venv"))
    assert config.data_dir() == tmp_path / "venv" / "share" / "reform-search" / "data"
    # every shipped data file is listed, so a regular install searches the same corpus
    section = SETUP_CFG.read_text(encoding="utf-8").split("[options.data_files]")[1].split("\n[")[0]
    listed = {f.strip() for line in section.splitlines() if "=" in line for f in line.split("=", 1)[1].split(",")}
    data = SETUP_CFG.parent / "data"
    on_disk = {str(p.relative_to(SETUP_CFG.parent)) for p in data.rglob("*")
               if p.is_file() and "index" not in p.relative_to(data).parts}
    assert on_disk == listed


SETUP_CFG = config.PROJECT_ROOT / "setup.cfg"


def test_an_index_records_its_engine_and_only_a_rebuild_changes_it(tmp_path, corpus):
    import json

    from search.engines import EngineMismatch, open_engine as factory
    from search.storage import GEN_META, live_generation

    index = tmp_path / "ix"
    build_index([corpus], index, progress=False, engine_name="whoosh")
    gen = live_generation(index)
    assert json.loads((gen / GEN_META).read_text())["engine"] == "whoosh"
    assert type(factory(index)).__name__ == "WhooshEngine"
    with pytest.raises(ValueError, match="unknown engine"):
        factory(index, "nosuch")
    (gen / GEN_META).write_text(json.dumps({"engine": "elsewhere", "schema": 1}))
    with pytest.raises(EngineMismatch):
        factory(index, "whoosh")
    with pytest.raises(ValueError, match="does not have"):
        factory(index)
    build_index([corpus], index, rebuild=True, progress=False, engine_name="whoosh")  # a rebuild may switch
    assert json.loads((live_generation(index) / GEN_META).read_text())["engine"] == "whoosh"
    assert SearchService(open_engine(index)).search("放管服")["total"] > 0


def test_search_index_says_once_when_a_whoosh_index_outgrows_whoosh(tmp_path, monkeypatch, capsys):
    """#25: past ``outgrown_at`` paragraphs (100,000 for Whoosh: docs/engines.md
    has the figures) the run that crosses it warns in one line; later runs,
    and engines without such a size, say nothing."""
    import dataclasses

    from indexer.cli import main
    from search import engines
    from tests.conftest import SEEDS

    assert engines.outgrown("whoosh", 99_999, 100_000) and not engines.outgrown("whoosh", 100_000, 120_000)
    assert engines.outgrown("tantivy", 0, 10 ** 7) is None
    monkeypatch.setitem(engines.ENGINES, "whoosh", dataclasses.replace(engines.ENGINES["whoosh"], outgrown_at=200))
    args = ["--corpus", str(SEEDS), "--index", str(tmp_path / "ix"), "--no-progress", "--engine", "whoosh"]
    assert main(args) == 0
    first = capsys.readouterr().err.splitlines()
    assert len(first) == 1 and first[0].startswith("search-index: warning: this whoosh index now holds 238 paragraphs")
    assert "search-index --engine tantivy --rebuild" in first[0]
    assert main(args) == 0 and capsys.readouterr().err == ""  # nothing new: said once
    assert main(["--corpus", str(SEEDS), "--index", str(tmp_path / "tx"), "--no-progress", "--engine", "tantivy"]) == 0
    assert capsys.readouterr().err == ""
