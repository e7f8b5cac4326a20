"""The benchmark: every engine of ours next to the peer and to its floor, at
three corpus sizes, in one run.

    pip install -e '.[bench]'
    python bench/run.py ../shared/bench-corpus/laws-cn ../shared/bench-corpus/laws-tw

For each size (default ~10k, ~100k paragraphs and everything), on the same
files and in the same run:

* **ours, per engine** (whoosh, tantivy) — ``search-index --engine E
  --rebuild`` in a child process as a user runs it (every stage, default
  processes): wall time, peak memory of the process tree, index size; then an
  incremental run over the unchanged corpus; then in-process
  ``SearchService.search`` next to a bare query of the same engine
  (``query_latency.py``);
* **the peer** — Meilisearch 1.21 (``meili.py``) loaded with exactly the
  paragraphs our indexer made, wall time to the last task done, peak memory;
* **HTTP** — ``search-web`` started per engine with its defaults, and the
  peer, asked the fixed set in ``bench/queries.txt`` by one client,
  interleaved (``http_latency.py``): p50/p95 of ``/api/search`` (top 10,
  facets, highlights) and of the peer's search (top 10, facets, highlights
  and crop), and the memory of one serving worker;
* **floor** (Whoosh's budget) — single process: jieba ``cut_for_search``
  alone over exactly the paragraphs ours indexed; and jieba + a bare Whoosh
  index of the same paragraphs, committed.

Writes ``bench/results/<date>.json`` and ``.png`` and prints one table with
the ratios to the peer. The machine is shared: read the ratios.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from query_latency import load_queries, measure  # noqa: E402
from search.engines import ENGINES  # noqa: E402


# ---------------------------------------------------------------- helpers
def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def peak_rss_of(proc: subprocess.Popen, interval: float = 0.1) -> dict:
    """Polls the process tree's resident memory until the process ends."""
    import psutil

    peak = {"bytes": 0}

    def poll():
        try:
            root = psutil.Process(proc.pid)
        except psutil.NoSuchProcess:
            return
        while proc.poll() is None:
            total = 0
            try:
                for p in [root] + root.children(recursive=True):
                    try:
                        total += p.memory_info().rss
                    except psutil.NoSuchProcess:
                        pass
            except psutil.NoSuchProcess:
                break
            peak["bytes"] = max(peak["bytes"], total)
            time.sleep(interval)

    t = threading.Thread(target=poll, daemon=True)
    t.start()
    return {"thread": t, "peak": peak}


def run_indexer(corpus: Path, index: Path, rebuild: bool, engine: str | None = None) -> dict:
    """``search-index`` as a user runs it (default processes), in a child."""
    cmd = [sys.executable, "-m", "indexer.cli", "--corpus", str(corpus), "--index", str(index), "--no-progress"]
    if engine:
        cmd += ["--engine", engine]
    if rebuild:
        cmd.append("--rebuild")
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    watch = peak_rss_of(proc)
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    watch["thread"].join(timeout=2)
    if proc.returncode != 0:
        raise RuntimeError(f"indexer failed: {err.strip()[-500:]}")
    return {"wall_s": wall, "peak_rss_mb": watch["peak"]["bytes"] / 2**20, "summary": out.strip().splitlines()[0]}


# ---------------------------------------------------------------- floor
def floor_jieba(texts: list[str]) -> float:
    from search import segmenter

    tk = segmenter.tokenizer()
    t0 = time.perf_counter()
    for t in texts:
        for _ in tk.cut_for_search(t):
            pass
    return time.perf_counter() - t0


def floor_jieba_whoosh(rows: list[tuple[str, str, str, str]], where: Path) -> float:
    """jieba as a bare Whoosh tokenizer, one writer, one process, committed."""
    from whoosh import columns, fields, index

    JiebaTokenizer = _jieba_tokenizer_class()

    schema = fields.Schema(
        text=fields.TEXT(analyzer=JiebaTokenizer(), stored=True),
        district=fields.ID(stored=True, sortable=columns.RefBytesColumn()),
        year=fields.ID(stored=True, sortable=columns.RefBytesColumn()),
        domain=fields.COLUMN(columns.RefBytesColumn()),
    )
    where.mkdir(parents=True)
    t0 = time.perf_counter()
    ix = index.create_in(str(where), schema)
    w = ix.writer(limitmb=256)
    for text, district, year, domain in rows:
        w.add_document(text=text, district=district, year=year, domain=domain.encode("utf-8"))
    w.commit()
    return time.perf_counter() - t0


_JIEBA_TOKENIZER = None


def _jieba_tokenizer_class():
    """A module-level class (Whoosh pickles the schema into its index)."""
    global _JIEBA_TOKENIZER
    if _JIEBA_TOKENIZER is None:
        from whoosh.analysis import Token, Tokenizer

        from search import segmenter

        class JiebaTokenizer(Tokenizer):
            def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                         start_pos=0, start_char=0, tokenize=True, mode="", **kw):
                t = Token(positions, chars, removestops=removestops, mode=mode, **kw)
                tk = segmenter.tokenizer()
                for pos, (word, start, end) in enumerate(tk.tokenize(value, mode="search")):
                    t.text, t.boost, t.stopped = word, 1.0, False
                    if positions:
                        t.pos = start_pos + pos
                    if chars:
                        t.startchar, t.endchar = start_char + start, start_char + end
                    yield t

        JiebaTokenizer.__qualname__ = "JiebaTokenizer"
        globals()["JiebaTokenizer"] = JiebaTokenizer
        _JIEBA_TOKENIZER = JiebaTokenizer
    return _JIEBA_TOKENIZER


# ---------------------------------------------------------------- corpus
def gather(corpora: list[Path], seed: int):
    """Every file once through the real pipeline (untimed): its paragraphs and
    facets, in a fixed shuffled order, so each size is a prefix of the next."""
    from concurrent.futures import ProcessPoolExecutor

    from indexer.read import find_files

    files = [f for c in corpora for f in find_files(c)]
    random.Random(seed).shuffle(files)
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        results = list(pool.map(paragraphs_of, files, chunksize=16))
    return [(f, rows) for f, rows in zip(files, results) if rows]


def paragraphs_of(source):
    """(text, district, year, domains) of each paragraph the indexer makes of
    ``source``; none for a file it skips."""
    from indexer.process import process_file
    from indexer.read import SkipFile

    try:
        doc = process_file(source)
    except SkipFile:
        return []
    return [(c.text, doc.district or "", str(doc.year or ""), ",".join(c.domains)) for c in doc.chunks]


def materialize(files, where: Path) -> None:
    for f, _ in files:
        target = where / Path(f.corpus).name / f.rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(f.path, target)


# ---------------------------------------------------------------- main
LOAD_CLIENTS = 16


def run_size(label: str, files, work: Path, queries, rounds: int, engines: list[str], peer: bool,
             load_seconds: float = 0) -> dict:
    from http_latency import Target, api_search_requests, measure_http, page_requests
    from load import run_load, start_server

    rows = [r for _, rs in files for r in rs]
    texts = [r[0] for r in rows]
    chars = sum(len(t) for t in texts)
    corpus = work / f"corpus-{label}"
    materialize(files, corpus)
    print(f"[{label}] {len(files)} files, {len(rows):,} paragraphs, {chars:,} characters", flush=True)
    result = {"label": label, "files": len(files), "paragraphs": len(rows), "characters": chars, "engines": {}}

    for name in engines:
        where = work / f"index-{label}-{name}"
        nodes = ClusterMemory() if name == "opensearch" else None
        ours = run_indexer(corpus, where, rebuild=True, engine=name)
        if nodes:
            nodes.stop()
        incremental = run_indexer(corpus, where, rebuild=False)
        print(f"  {name}: index {ours['wall_s']:.1f} s, peak {ours['peak_rss_mb']:.0f} MB; "
              f"unchanged corpus again {incremental['wall_s']:.1f} s", flush=True)
        q = measure(where, [dict(x) for x in queries], rounds)
        print(f"  {name}: in-process ours p50 {q['ours_p50_ms']:.1f} / p95 {q['ours_p95_ms']:.1f} ms; "
              f"bare {name} p50 {q['bare_p50_ms']:.1f} / p95 {q['bare_p95_ms']:.1f} ms", flush=True)
        result["engines"][name] = {
            "index_s": ours["wall_s"], "chars_per_s": chars / ours["wall_s"], "peak_rss_mb": ours["peak_rss_mb"],
            "summary": ours["summary"], "incremental_unchanged_s": incremental["wall_s"],
            "index_mb": dir_size(where) / 2**20, "query": q,
        }
        if nodes:  # the cluster holds the index, and its memory is the nodes'
            result["engines"][name].update(index_mb=opensearch_index_mb(), nodes_peak_rss_mb=nodes.peak_mb,
                                           nodes=len(nodes.pids))
            print(f"  {name}: {len(nodes.pids)} nodes, peak {nodes.peak_mb:.0f} MB together while indexing", flush=True)

    if "whoosh" in engines:
        jieba_s = floor_jieba(texts)
        bare_dir = work / f"bare-{label}"
        jw_s = floor_jieba_whoosh(rows, bare_dir)
        print(f"  floor jieba {jieba_s:.1f} s; jieba + bare Whoosh {jw_s:.1f} s", flush=True)
        w = result["engines"]["whoosh"]
        w.update(floor_jieba_s=jieba_s, floor_jieba_whoosh_s=jw_s, ratio_to_jieba=w["index_s"] / jieba_s,
                 ratio_to_floor=w["index_s"] / jw_s, bare_index_mb=dir_size(bare_dir) / 2**20)
        shutil.rmtree(bare_dir, ignore_errors=True)

    targets, servers, meili = [], [], None
    try:
        for name in engines:
            proc, url = start_server(work / f"index-{label}-{name}")  # search-web as a user starts it
            servers.append(proc)
            targets.append(Target(name, url, api_search_requests(queries), lambda a: a["total"]))
            # the pages a researcher reads: paragraphs, and the by-document view
            targets.append(Target(f"{name}:page", url, page_requests(queries, "paragraphs"), html=True))
            targets.append(Target(f"{name}:documents", url, page_requests(queries, "documents"), html=True))
        if peer:
            from meili import Meili

            meili = Meili()
            watch = {"peak": 0, "stop": False}

            def poll():
                while not watch["stop"]:
                    watch["peak"] = max(watch["peak"], meili.rss_bytes())
                    time.sleep(0.1)

            t = threading.Thread(target=poll, daemon=True)
            t.start()
            load_s = meili.load(rows)
            watch["stop"] = True
            t.join()
            print(f"  meilisearch: index {load_s:.1f} s, peak {watch['peak'] / 2**20:.0f} MB", flush=True)
            result["meilisearch"] = {"index_s": load_s, "peak_rss_mb": watch["peak"] / 2**20,
                                     "index_mb": meili.size_bytes() / 2**20}
            targets.append(Target("meilisearch", f"http://127.0.0.1:{meili.port}",
                                  [("POST", f"/indexes/{meili.INDEX}/search", meili.body(s)) for s in queries],
                                  lambda a: a["estimatedTotalHits"]))
        answers = measure_http(targets, rounds)
        for name in engines:
            pages = {view: answers.pop(f"{name}:{view}") for view in ("page", "documents")}
            result["engines"][name]["pages"] = pages
            print(f"  {name}: page / by-document page, server p50 {pages['page'].get('server_p50_ms', 0):.1f} / "
                  f"{pages['documents'].get('server_p50_ms', 0):.1f} ms, p95 {pages['page'].get('server_p95_ms', 0):.1f}"
                  f" / {pages['documents'].get('server_p95_ms', 0):.1f} ms", flush=True)
        for proc, name in zip(servers, engines):
            answers[name]["worker_rss_mb"] = _worker_rss_mb(proc)
            if name == "opensearch":
                answers[name]["nodes_rss_mb"] = ClusterMemory.now_mb()
        if load_seconds:  # many researchers at once, on the server as a user starts it
            for target, proc in zip([t for t in targets if t.name in engines], servers):
                held = run_load(target.url, api_search_requests(queries), LOAD_CLIENTS, load_seconds)
                held["worker_rss_mb"] = _worker_rss_mb(proc)
                result["engines"][target.name]["load"] = held
                print(f"  {target.name}: {LOAD_CLIENTS} clients x {held['seconds']:.0f} s: {held['requests']} requests, "
                      f"{held['errors']} errors, p50 {held['p50_ms']:.1f} / p95 {held['p95_ms']:.1f} ms, "
                      f"worker RSS {held['worker_rss_mb']:.0f} MB", flush=True)
        if meili:
            answers["meilisearch"]["worker_rss_mb"] = meili.rss_bytes() / 2**20
    finally:
        for proc in servers:
            proc.terminate()
            proc.wait(timeout=30)
        if meili:
            meili.close()
    for name, a in answers.items():
        side = result["engines"][name] if name in result["engines"] else result["meilisearch"]
        side["http"] = a
        print(f"  {name}: HTTP p50 {a['p50_ms']:.1f} / p95 {a['p95_ms']:.1f} ms, "
              f"serving RSS {a['worker_rss_mb']:.0f} MB", flush=True)
    if peer:
        m = result["meilisearch"]
        for name in engines:
            e = result["engines"][name]
            e["index_vs_peer"] = e["index_s"] / m["index_s"]
            e["http_p95_vs_peer"] = e["http"]["p95_ms"] / m["http"]["p95_ms"]
            e["http_p50_vs_peer"] = e["http"]["p50_ms"] / m["http"]["p50_ms"]
    return result


class ClusterMemory:
    """Peak resident memory of the local OpenSearch nodes
    (``scripts/opensearch-local``'s pid files), sampled until ``stop``."""

    def __init__(self, interval: float = 0.2):
        self.pids = self._pids()
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, args=(interval,), daemon=True)
        self._thread.start()

    @staticmethod
    def _pids() -> list[int]:
        """The nodes the project's own script started (it knows where they are)."""
        import importlib.util
        from importlib.machinery import SourceFileLoader

        loader = SourceFileLoader("opensearch_local", str(ROOT / "scripts" / "opensearch-local"))
        script = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
        loader.exec_module(script)
        return list(script.node_pids().values())

    @classmethod
    def now_mb(cls) -> float:
        import psutil

        total = 0
        for pid in cls._pids():
            try:
                total += psutil.Process(pid).memory_info().rss
            except psutil.Error:
                pass
        return total / 2**20

    def _poll(self, interval: float) -> None:
        while not self._stop.is_set():
            self.peak_mb = max(self.peak_mb, self.now_mb())
            time.sleep(interval)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def opensearch_index_mb() -> float:
    """The primary store of the index the benchmark built on the cluster."""
    from opensearchpy import OpenSearch

    c = OpenSearch(hosts=[os.environ.get("REFORM_SEARCH_OPENSEARCH_URL", "http://127.0.0.1:9200")])
    name = os.environ.get("REFORM_SEARCH_OPENSEARCH_INDEX", "reform-search")
    stats = c.indices.stats(index=name, metric="store")
    return stats["_all"]["primaries"]["store"]["size_in_bytes"] / 2**20


def _worker_rss_mb(proc) -> float:
    """Resident memory of one serving worker (the largest of search-web's
    processes other than the supervisor, or the only one)."""
    import psutil

    root = psutil.Process(proc.pid)
    kids = root.children(recursive=True)
    return max(p.memory_info().rss for p in (kids or [root])) / 2**20


def plot(results: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs = [r["paragraphs"] for r in results]
    sides = list(results[0]["engines"]) + (["meilisearch"] if "meilisearch" in results[0] else [])

    def side(r, name):
        return r["engines"][name] if name in r["engines"] else r["meilisearch"]

    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.2))
    for name, mark in zip(sides, "osd^"):
        a.plot(xs, [side(r, name)["index_s"] for r in results], mark + "-", label=name)
        b.plot(xs, [side(r, name)["http"]["p95_ms"] for r in results], mark + "-", label=f"{name} p95")
        b.plot(xs, [side(r, name)["http"]["p50_ms"] for r in results], mark + ":", label=f"{name} p50")
    if "floor_jieba_whoosh_s" in results[0]["engines"].get("whoosh", {}):
        a.plot(xs, [r["engines"]["whoosh"]["floor_jieba_whoosh_s"] for r in results], "x--",
               label="floor: jieba + bare Whoosh (1 process)")
    a.set(title="Indexing (ours: whole pipeline from files)", xlabel="paragraphs", ylabel="seconds")
    b.set(title="Query over HTTP (top 10, facets, highlights)", xlabel="paragraphs", ylabel="ms", yscale="log")
    for ax in (a, b):
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def table(results: list[dict]) -> str:
    """The run's figures, one row per size and engine, ratios to the peer."""
    head = (f"{'size':>5} {'paras':>8} {'engine':<11} {'index s':>8} {'vs peer':>7} {'peak MB':>8} "
            f"{'http p50':>8} {'p95 ms':>7} {'p95 vs':>6} {'serve MB':>8} {'in-proc p95':>11} {'bare p95':>8}")
    lines = [head]
    for r in results:
        sides = [(n, e) for n, e in r["engines"].items()] + ([("meilisearch", r["meilisearch"])]
                                                          if "meilisearch" in r else [])
        for name, e in sides:
            q = e.get("query")
            lines.append(
                f"{r['label']:>5} {r['paragraphs']:>8,} {name:<11} {e['index_s']:>8.1f} "
                f"{e.get('index_vs_peer', 1.0) if 'meilisearch' in r else float('nan'):>7.2f} {e['peak_rss_mb']:>8.0f} "
                f"{e['http']['p50_ms']:>8.1f} {e['http']['p95_ms']:>7.1f} "
                f"{e.get('http_p95_vs_peer', 1.0) if 'meilisearch' in r else float('nan'):>6.2f} "
                f"{e['http']['worker_rss_mb']:>8.0f} "
                f"{(q['ours_p95_ms'] if q else float('nan')):>11.1f} {(q['bare_p95_ms'] if q else float('nan')):>8.1f}")
        for name, e in r["engines"].items():
            if "pages" in e:
                pg, dc = e["pages"]["page"], e["pages"]["documents"]
                lines.append(f"{r['label']:>5} {'':>8} {name:<11} pages, server ms p50/p95: results "
                             f"{pg.get('server_p50_ms', float('nan')):.1f}/{pg.get('server_p95_ms', float('nan')):.1f}, "
                             f"by document {dc.get('server_p50_ms', float('nan')):.1f}/"
                             f"{dc.get('server_p95_ms', float('nan')):.1f}")
        for name, e in r["engines"].items():
            if "load" in e:
                held = e["load"]
                lines.append(f"{r['label']:>5} {'':>8} {name:<11} {held['clients']} clients x {held['seconds']:.0f} s: "
                             f"{held['requests']} requests, {held['errors']} errors, p50 {held['p50_ms']:.1f} / "
                             f"p95 {held['p95_ms']:.1f} ms, worker RSS {held['worker_rss_mb']:.0f} MB")
        w = r["engines"].get("whoosh")
        if w and "floor_jieba_whoosh_s" in w:
            lines.append(f"{'':>5} {'':>8} whoosh vs its floor: indexing {w['ratio_to_floor']:.2f}x jieba + bare Whoosh "
                         f"({w['ratio_to_jieba']:.2f}x jieba alone); query p95 {w['query']['ratio_p95']:.2f}x bare")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", type=Path, nargs="+", help="corpus folder(s)")
    ap.add_argument("--sizes", default="10000,100000,0", help="paragraph counts; 0 = everything")
    ap.add_argument("--rounds", type=int, default=5, help="query rounds per size")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--queries", type=Path, default=HERE / "queries.txt")
    ap.add_argument("--out", type=Path, default=HERE / "results")
    ap.add_argument("--keep", action="store_true", help="keep the work folder (indexes) for inspection")
    ap.add_argument("--engines", default=",".join(ENGINES), help=f"engines to measure (default {','.join(ENGINES)})")
    ap.add_argument("--no-peer", action="store_true", help="leave Meilisearch out")
    ap.add_argument("--load-seconds", type=float, default=60,
                    help=f"{LOAD_CLIENTS} concurrent clients on each engine's server for this long, at the largest "
                         "size (0: none)")
    args = ap.parse_args()
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    for e in engines:
        if e not in ENGINES:
            ap.error(f"unknown engine {e!r} (choose from {', '.join(ENGINES)})")
    for c in args.corpus:
        if not c.is_dir():
            ap.error(f"corpus folder not found: {c}")
    try:
        import matplotlib  # noqa: F401
        import psutil  # noqa: F401
    except ImportError:
        ap.error("install the bench extra first: pip install -e '.[bench]'")

    from search import segmenter

    segmenter.tokenizer()
    t0 = time.perf_counter()
    files = gather(args.corpus, args.seed)
    total = sum(len(rs) for _, rs in files)
    print(f"gathered {len(files)} files, {total:,} paragraphs in {time.perf_counter() - t0:.0f} s", flush=True)
    queries = load_queries(args.queries)
    work = Path(tempfile.mkdtemp(prefix="reform-bench-"))
    results = []
    try:
        for size in [int(s) for s in args.sizes.split(",")]:
            if size and size >= total:
                continue
            chosen, n = [], 0
            for f, rs in files:
                if size and n >= size:
                    break
                chosen.append((f, rs))
                n += len(rs)
            label = f"{n // 1000}k" if size else "all"
            largest = not size or size == max(int(s) or total for s in args.sizes.split(","))
            results.append(run_size(label, chosen, work, queries, args.rounds, engines, not args.no_peer,
                                    args.load_seconds if largest else 0))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"work folder kept: {work}")

    args.out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y-%m-%d-%H%M")
    report = {"date": stamp, "cpus": os.cpu_count(), "corpora": [str(c) for c in args.corpus], "sizes": results}
    (args.out / f"{stamp}.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    plot(results, args.out / f"{stamp}.png")
    print()
    print(table(results))
    print(f"results: {args.out / (stamp + '.json')}, plot: {args.out / (stamp + '.png')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
