"""OpenSearch at 1, 2 and 3 nodes: the same archive, the same load.

    python bench/nodes.py ../shared/bench-corpus/laws-cn ../shared/bench-corpus/laws-tw \\
        --nodes 1,2,3 --clients 16 --seconds 60

For each node count: ``scripts/opensearch-local stop``, ``start --nodes N
--fresh`` (the nodes' data removed: this ends any local cluster and its
indexes), ``search-index --engine opensearch`` over the corpus as a user runs
it (so the index gets the shards and replicas ``shards_for`` chooses for N
nodes), then ``bench/load.py``'s closed-loop load on ``search-web`` with its
defaults. Reports the index time, the shards per node, and req/s and
p50/p95/p99 per node count, and leaves the last cluster running.

On one machine the nodes share its cores (and its disk): more nodes here
cannot mean more capacity, only what coordinating them costs — each search
asks every shard and merges, the scores' statistics are gathered first
(``dfs_query_then_fetch``). With one node per machine, each shard's work
runs on its own cores: the per-shard work divides by N while the merge and
the extra round stay.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from load import _counts, load_one, nodes_pss_mb, start_server, tree_pss_mb  # noqa: E402
from http_latency import api_search_requests  # noqa: E402
from query_latency import load_queries  # noqa: E402

SCRIPT = ROOT / "scripts" / "opensearch-local"
URL = "http://127.0.0.1:9200"


def cluster(*args: str) -> None:
    done = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=600)
    if done.returncode:
        raise RuntimeError(f"opensearch-local {' '.join(args)}: {done.stderr.strip()[-400:]}")


def shard_layout(alias: str) -> dict[str, dict[str, int]]:
    """Node -> {"primaries": n, "replicas": n} of the index behind ``alias``."""
    from opensearchpy import OpenSearch

    rows = OpenSearch(hosts=[URL]).cat.shards(index=alias, format="json", h="prirep,node")
    layout: dict[str, dict[str, int]] = {}
    for r in rows:
        side = layout.setdefault(r["node"], {"primaries": 0, "replicas": 0})
        side["primaries" if r["prirep"] == "p" else "replicas"] += 1
    return dict(sorted(layout.items()))


def one_count(nodes: int, corpora: list[Path], heap: str, clients: list[int], seconds: float, queries,
              work: Path) -> list[dict]:
    cluster("stop")
    cluster("start", "--nodes", str(nodes), "--heap", heap, "--fresh")
    index = work / f"index-{nodes}"
    env = dict(os.environ, REFORM_SEARCH_OPENSEARCH_URL=URL)
    t0 = time.perf_counter()
    args = [sys.executable, "-m", "indexer.cli", "--index", str(index), "--engine", "opensearch", "--no-progress"]
    for c in corpora:
        args += ["--corpus", str(c)]
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True)
    took = time.perf_counter() - t0
    if done.returncode:
        raise RuntimeError(f"search-index on {nodes} node(s): {done.stderr.strip()[-400:]}")
    layout = shard_layout("reform-search")
    print(f"[{nodes} node(s)] indexed in {took:.0f} s; shards {layout}", flush=True)
    os.environ["REFORM_SEARCH_OPENSEARCH_URL"] = URL
    proc, url = start_server(index)
    try:
        rows = load_one(f"opensearch x{nodes}", url, api_search_requests(queries), clients, seconds,
                        lambda: tree_pss_mb(proc.pid), nodes_pss_mb)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    for r in rows:
        r.update(nodes=nodes, index_s=took, shards=layout)
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", type=Path, nargs="+", help="corpus folder(s)")
    ap.add_argument("--nodes", type=_counts, default=[1, 2, 3], help="node counts (default 1,2,3)")
    ap.add_argument("--clients", type=_counts, default=[16], help="client counts (default 16)")
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--heap", default="1g", help="each node's Java heap (default 1g)")
    ap.add_argument("--queries", type=Path, default=HERE / "queries.txt")
    ap.add_argument("--out", type=Path, default=HERE / "results")
    args = ap.parse_args()
    for c in args.corpus:
        if not c.is_dir():
            ap.error(f"corpus folder not found: {c}")
    if max(args.nodes) > 9:
        ap.error("at most 9 nodes")
    queries = load_queries(args.queries)
    work = Path(tempfile.mkdtemp(prefix="reform-nodes-"))
    rows: list[dict] = []
    try:
        for n in args.nodes:
            rows += one_count(n, args.corpus, args.heap, args.clients, args.seconds, queries, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y-%m-%d-%H%M")
    out = args.out / f"nodes-{stamp}.json"
    out.write_text(json.dumps({"date": stamp, "cpus": os.cpu_count(), "heap": args.heap, "rows": rows},
                              ensure_ascii=False, indent=1), encoding="utf-8")
    print()
    print(f"{'nodes':>5} {'shards (p+r per node)':<28} {'index s':>7} {'clients':>7} {'req/s':>7} "
          f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'errors':>6} {'nodes MB':>8}")
    for r in rows:
        shards = " ".join(f"{v['primaries']}+{v['replicas']}" for v in r["shards"].values())
        print(f"{r['nodes']:>5} {shards:<28} {r['index_s']:>7.0f} {r['clients']:>7} {r['rps']:>7.1f} "
              f"{r['p50_ms']:>7.1f} {r['p95_ms']:>7.1f} {r['p99_ms']:>7.1f} {r['errors']:>6} {r['beside_mb']:>8.0f}")
    print(f"results: {out}; the {args.nodes[-1]}-node cluster is left running")
    return 1 if any(r["errors"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
