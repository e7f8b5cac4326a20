"""Query latency of our search path next to a bare Whoosh query, in one run.

    python bench/query_latency.py INDEX [--rounds 5] [--queries bench/queries.txt]

For every query in the fixed set, and in interleaved rounds (so machine noise
hits both sides alike), it times

* **ours**: ``SearchService.search`` — parse, aliases, the disjunctive count of
  all three facets over every match, one ranked page, snippets with marks;
* **bare**: (Whoosh; tantivy's is ``BareTantivy``) the same words as plain Whoosh terms on the paragraph text of the
  same index, the same filters ANDed in, ``groupedby`` district, year and
  domain columns, one page of stored fields, no highlighting, no notes.

It prints p50/p95 of each and their ratio. ``measure()`` is also what
``bench/run.py`` calls.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def load_queries(path: Path) -> list[dict]:
    """Lines of ``query<TAB>district<TAB>year<TAB>domain`` (empty = no filter)."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        cols = (line.split("\t") + ["", "", ""])[:4]
        out.append({"q": cols[0], "district": cols[1], "year": cols[2], "domain": cols[3]})
    return out


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    if not values:
        return 0.0
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


class Bare:
    """A bare Whoosh query on our index: terms, filters, three facet counts."""

    def __init__(self, index_root: Path):
        from whoosh import index

        from search.storage import live_generation

        self.ix = index.open_dir(str(live_generation(index_root)))
        self.searcher = self.ix.searcher()

    def run(self, spec: dict) -> tuple[int, dict]:
        from whoosh import query as wq, sorting

        from search import analysis
        from search.query import parse as querylang

        from search.engine import AnyOf, Phrase, Term

        def bare_query(node):
            if isinstance(node, Term):
                return wq.Term("text", node.text)
            if isinstance(node, Phrase):
                words = list(node.words)
                return wq.Term("text", words[0]) if len(words) == 1 else wq.Phrase("text", words)
            sub = [bare_query(i) for i in node.items]
            return (wq.Or if isinstance(node, AnyOf) else wq.And)(sub) if len(sub) > 1 else sub[0]

        q = bare_query(querylang.parse(spec["q"]).tree)
        filters = []
        if spec["district"]:
            filters.append(wq.Term("district", analysis.to_simplified(spec["district"])))
        if spec["year"]:
            lo, hi = querylang.parse_year(spec["year"])
            filters.append(wq.Or([wq.Term("year", str(y)) for y in range(lo, hi + 1)]))
        if spec["domain"]:
            filters.append(wq.Term("domain", spec["domain"]))
        # Domains are counted from the same column ours reads, as whole
        # combinations: Whoosh's overlapping facet on the keyword field
        # un-inverts its postings on every query (+150 ms here), which would
        # flatter the ratio. Filters are ANDed in, not passed as filter=, whose
        # per-match bit-set test scans the whole set (seconds on 292k paragraphs).
        facets = {"district": sorting.FieldFacet("district"), "year": sorting.FieldFacet("year"),
                  "domain": sorting.FieldFacet("domain_set")}
        if filters:
            q = wq.And([q] + filters)
        r = self.searcher.search(q, limit=10, groupedby=facets)
        for hit in r:
            hit.fields()
        return len(r), {k: {v: len(d) for v, d in r.groups(k).items()} for k in facets}


class BareTantivy:
    """A bare tantivy query on our index: the same words as terms (phrases as
    phrase queries) on the paragraph text, the filters as a term or a year
    range, the three facets in one aggregation, ten stored documents, no
    highlighting."""

    def __init__(self, index_root: Path):
        import tantivy

        from search.storage import live_generation

        self.tantivy = tantivy
        self.ix = tantivy.Index.open(str(live_generation(index_root)))
        self.schema = self.ix.schema
        self.searcher = self.ix.searcher()

    def run(self, spec: dict) -> tuple[int, dict]:
        from search import analysis
        from search.query import parse as querylang
        from search.engine import AnyOf, Phrase, Term

        T = self.tantivy
        Q = T.Query

        def bare_query(node):
            if isinstance(node, Term):
                return Q.term_query(self.schema, "text", node.text)
            if isinstance(node, Phrase):  # a quote of one word is a term (tantivy refuses a one-word phrase)
                words = list(node.words)
                if len(words) == 1:
                    return Q.term_query(self.schema, "text", words[0])
                return Q.phrase_query(self.schema, "text", words)
            sub = [bare_query(i) for i in node.items]
            occur = T.Occur.Should if isinstance(node, AnyOf) else T.Occur.Must
            return Q.boolean_query([(occur, q) for q in sub]) if len(sub) > 1 else sub[0]

        clauses = [bare_query(querylang.parse(spec["q"]).tree)]
        if spec["district"]:
            clauses.append(Q.term_query(self.schema, "district", analysis.to_simplified(spec["district"])))
        if spec["year"]:
            lo, hi = querylang.parse_year(spec["year"])
            clauses.append(Q.range_query(self.schema, "year_n", T.FieldType.Integer, lo, hi))
        if spec["domain"]:
            clauses.append(Q.term_query(self.schema, "domain", spec["domain"]))
        q = Q.boolean_query([(T.Occur.Must, c) for c in clauses]) if len(clauses) > 1 else clauses[0]
        found = self.searcher.search(q, 10)
        for _, address in found.hits:
            self.searcher.doc(address)
        aggs = self.searcher.aggregate(q, {f: {"terms": {"field": f, "size": 1000}} for f in
                                           ("district", "year", "domain")})
        return found.count, {f: {b["key"]: b["doc_count"] for b in aggs[f]["buckets"]} for f in aggs}


class BareOpenSearch:
    """A bare OpenSearch query on our index: the same words as terms
    (phrases as match_phrase) on the paragraph text, the filters as filter
    clauses, the three facets as plain terms aggregations in the same
    request, ten hits, no highlighting."""

    def __init__(self, index_root: Path):
        from search.engines import open_engine

        engine = open_engine(index_root)
        self.client = engine.client()
        self.index = engine.location()[1]

    def run(self, spec: dict) -> tuple[int, dict]:
        from search import analysis
        from search.query import parse as querylang
        from search.engine import AnyOf, Phrase, Term

        def bare_query(node):
            if isinstance(node, Term):
                return {"term": {"text": node.text}}
            if isinstance(node, Phrase):
                return {"match_phrase": {"text": " ".join(node.words)}}
            sub = [bare_query(i) for i in node.items]
            key = "should" if isinstance(node, AnyOf) else "must"
            return {"bool": {key: sub}} if len(sub) > 1 else sub[0]

        filters = []
        if spec["district"]:
            filters.append({"term": {"district": analysis.to_simplified(spec["district"])}})
        if spec["year"]:
            lo, hi = querylang.parse_year(spec["year"])
            filters.append({"range": {"year_n": {"gte": lo, "lte": hi}}})
        if spec["domain"]:
            filters.append({"term": {"domain": spec["domain"]}})
        body = {"query": {"bool": {"must": [bare_query(querylang.parse(spec["q"]).tree)], "filter": filters}},
                "size": 10, "track_total_hits": True,
                "aggs": {f: {"terms": {"field": f, "size": 1000}} for f in ("district", "year", "domain")}}
        r = self.client.search(index=self.index, body=body)
        return r["hits"]["total"]["value"], {f: {b["key"]: b["doc_count"] for b in r["aggregations"][f]["buckets"]}
                                             for f in ("district", "year", "domain")}


def bare_for(index_root: Path):
    from search.engines import live_engine

    engine = live_engine(index_root)
    if engine == "tantivy":
        return BareTantivy(index_root)
    if engine == "opensearch":
        return BareOpenSearch(index_root)
    return Bare(index_root)


def measure(index_root: Path, queries: list[dict], rounds: int = 5) -> dict:
    from search.service import Options, SearchService
    from search.engines import open_engine

    service = SearchService(open_engine(index_root))
    bare = bare_for(index_root)
    ours_t: list[float] = []
    bare_t: list[float] = []
    per_query = []
    for spec in queries:  # warm both sides once (dictionary, caches)
        opts = Options(district=[spec["district"]] if spec["district"] else [],
                       year=[spec["year"]] if spec["year"] else [], domain=[spec["domain"]] if spec["domain"] else [])
        spec["_opts"] = opts
        r = service.search(spec["q"], opts)
        n, _ = bare.run(spec)
        per_query.append({"query": spec["q"], "district": spec["district"], "year": spec["year"],
                          "domain": spec["domain"], "total": r["total"], "bare_total": n})
    for _ in range(rounds):
        for spec, row in zip(queries, per_query):
            t0 = time.perf_counter()
            service.search(spec["q"], spec["_opts"])
            t1 = time.perf_counter()
            bare.run(spec)
            t2 = time.perf_counter()
            ours_t.append(t1 - t0)
            bare_t.append(t2 - t1)
            row.setdefault("ours_ms", []).append((t1 - t0) * 1000)
            row.setdefault("bare_ms", []).append((t2 - t1) * 1000)
    for row in per_query:
        row["ours_ms"] = statistics.median(row["ours_ms"])
        row["bare_ms"] = statistics.median(row["bare_ms"])
    res = {
        "queries": len(queries), "rounds": rounds,
        "ours_p50_ms": percentile(ours_t, 50) * 1000, "ours_p95_ms": percentile(ours_t, 95) * 1000,
        "bare_p50_ms": percentile(bare_t, 50) * 1000, "bare_p95_ms": percentile(bare_t, 95) * 1000,
        "per_query": per_query,
    }
    res["ratio_p50"] = res["ours_p50_ms"] / res["bare_p50_ms"] if res["bare_p50_ms"] else None
    res["ratio_p95"] = res["ours_p95_ms"] / res["bare_p95_ms"] if res["bare_p95_ms"] else None
    res["ours_mean_ms"] = statistics.mean(ours_t) * 1000
    res["bare_mean_ms"] = statistics.mean(bare_t) * 1000
    return res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("index", type=Path)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--queries", type=Path, default=HERE / "queries.txt")
    ap.add_argument("--verbose", action="store_true", help="list every query's match counts")
    args = ap.parse_args()
    res = measure(args.index, load_queries(args.queries), args.rounds)
    if args.verbose:
        for row in res["per_query"]:
            print(f"  {row['query']:<24} {row['district'] or '-':<6} {row['year'] or '-':<10} "
                  f"{row['domain'] or '-':<6} ours {row['total']:>7} {row['ours_ms']:>7.1f} ms  "
                  f"bare {row['bare_total']:>7} {row['bare_ms']:>7.1f} ms")
    print(f"{res['queries']} queries × {res['rounds']} rounds")
    print(f"ours: p50 {res['ours_p50_ms']:.1f} ms  p95 {res['ours_p95_ms']:.1f} ms")
    print(f"bare: p50 {res['bare_p50_ms']:.1f} ms  p95 {res['bare_p95_ms']:.1f} ms")
    print(f"ratio ours/bare: p50 {res['ratio_p50']:.2f}×  p95 {res['ratio_p95']:.2f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
