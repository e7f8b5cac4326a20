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
