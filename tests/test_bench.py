"""The benchmark's bare engine queries run on every engine for every query
of its fixed set (a quote of one word once broke the tantivy one: the
benchmark died after twenty minutes of indexing), and a bare query never
finds more than the product does for the same words."""
from __future__ import annotations

import sys

from search import config
from search.service import Options, SearchService
from search.engines import open_engine

sys.path.insert(0, str(config.PROJECT_ROOT / "bench"))


def test_every_bench_query_runs_bare_and_finds_no_more_than_ours(seed_index):
    from query_latency import bare_for, load_queries

    queries = load_queries(config.PROJECT_ROOT / "bench" / "queries.txt")
    assert len(queries) == 18
    bare = bare_for(seed_index)
    service = SearchService(open_engine(seed_index))
    for spec in queries:
        total, facets = bare.run(dict(spec))
        ours = service.search(spec["q"], Options(district=[spec["district"]] if spec["district"] else [],
                                                 year=[spec["year"]] if spec["year"] else [],
                                                 domain=[spec["domain"]] if spec["domain"] else []))
        assert isinstance(total, int) and set(facets) == {"district", "year", "domain"}
        assert total <= ours["total"], spec


def test_the_desk_benchmark_asks_what_a_researcher_types_and_pages(seed_index, tmp_path, monkeypatch):
    """bench/desk_latency.py: every start of every word of the fixed set, and
    the table sorted and filtered, each answered 200 by search-web."""
    import json

    import desk_latency

    prefixes = desk_latency.typed_prefixes()
    assert {"个", "个人", "个人信", "个人信息", "劳动 合同 解"} <= set(prefixes) and len(prefixes) == len(set(prefixes))
    out = tmp_path / "desk.json"
    monkeypatch.setattr(sys, "argv", ["desk_latency.py", str(seed_index), "--rounds", "1", "--json", str(out)])
    assert desk_latency.main() == 0
    figures = json.loads(out.read_text(encoding="utf-8"))
    (suggest,) = figures["suggest"].values()
    (table,) = figures["table"].values()
    assert suggest["requests"] == len(prefixes) and table["requests"] == figures["table_requests"] >= 10
    assert suggest["server_p95_ms"] > 0 and table["server_p95_ms"] > 0


def test_the_larger_archive_is_the_corpus_times_n_with_every_sentence_distinct(tmp_path, monkeypatch):
    """bench/scale.py (#25): each copy is its original's document — same
    paragraphs after cleaning, same district, year and domains — so the
    larger archive's counts are the corpus's times n; its sentences differ."""
    import scale
    from search.service import SearchService

    from tests.conftest import SEEDS, build

    monkeypatch.setattr(sys, "argv", ["scale.py", str(SEEDS), "--times", "3", "--out", str(tmp_path / "x3")])
    assert scale.main() == 0
    build([tmp_path / "x3"], tmp_path / "ix3", "tantivy")
    build([SEEDS], tmp_path / "ix1", "tantivy")
    three, one = (SearchService(open_engine(tmp_path / n)).overview() for n in ("ix3", "ix1"))
    assert three["total"] == 3 * one["total"] == 714
    assert three["facets"] == {f: {v: 3 * n for v, n in counts.items()} for f, counts in one["facets"].items()}
    copy = (tmp_path / "x3" / "copy-02" / "corpus" / "000_c07cc74dd9d7fd3d.txt").read_text(encoding="utf-8")
    assert copy.count("〔副本2〕") > 10
    scale.main()  # again: what is there is kept
    assert (tmp_path / "x3" / "copy-02" / "corpus" / "000_c07cc74dd9d7fd3d.txt").read_text(encoding="utf-8") == copy


def test_the_load_mode_holds_many_clients_on_the_server_a_user_starts(seed_index, tmp_path, monkeypatch):
    """bench/load.py (#25): search-web started with its defaults, each client
    count for its time, every answer a 200, the serving memory measured and
    the figures written for the note's table."""
    import json

    import load

    monkeypatch.setattr(sys, "argv", ["load.py", "--index", f"ours={seed_index}", "--clients", "1,3",
                                      "--seconds", "1", "--documents", "2", "--out", str(tmp_path)])
    assert load.main() == 0
    (written,) = tmp_path.glob("load-*.json")
    figures = json.loads(written.read_text(encoding="utf-8"))
    assert figures["paragraphs"] == 238
    assert [(r["engine"], r["clients"]) for r in figures["rows"]] == [("ours", 1), ("ours", 3), ("ours:documents", 2)]
    for row in figures["rows"]:
        assert row["requests"] >= row["clients"] and row["errors"] == 0
        assert row["p50_ms"] <= row["p95_ms"] <= row["p99_ms"] and row["serving_mb"] > 50
