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
