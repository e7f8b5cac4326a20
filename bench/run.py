"""The benchmark: our pipeline next to its floor at three corpus sizes, in one run.

    pip install -e '.[bench]'
    python bench/run.py ../shared/bench-corpus/laws-cn ../shared/bench-corpus/laws-tw

For each size (default ~10k, ~100k paragraphs and everything), on the same
files and in the same run:

* **ours** — ``search-index --rebuild`` in a child process (every stage, both
  cores), wall time, characters/s, peak memory of the whole process tree,
  index size; then an incremental run over the unchanged corpus;
* **floor** — single process: jieba ``cut_for_search`` alone over exactly the
  paragraphs ours indexed; and jieba + a bare Whoosh index of the same
  paragraphs (jieba as its tokenizer, text stored, district/year/domain
  columns), committed;
* **queries** — the fixed set in ``bench/queries.txt``: ours (facets over all
  matches, snippets) vs a bare Whoosh query of the same words with the same
  facets on our index (see ``query_latency.py``).

Writes ``bench/results/<date>.json`` and ``bench/results/<date>.png`` (time vs
corpus size, both stages). The machine is shared: read the ratios.
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


def run_indexer(corpus: Path, index: Path, rebuild: bool, procs: int = 0) -> dict:
    cmd = [sys.executable, "-m", "indexer.cli", "--corpus", str(corpus), "--index", str(index), "--no-progress",
           "--procs", str(procs)]
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
    from indexer.build import process_file
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
def run_size(label: str, files, work: Path, queries, rounds: int) -> dict:
    rows = [r for _, rs in files for r in rs]
    texts = [r[0] for r in rows]
    chars = sum(len(t) for t in texts)
    corpus = work / f"corpus-{label}"
    materialize(files, corpus)
    print(f"[{label}] {len(files)} files, {len(rows):,} paragraphs, {chars:,} characters", flush=True)

    ours = run_indexer(corpus, work / f"index-{label}", rebuild=True)
    print(f"  ours: {ours['wall_s']:.1f} s, peak {ours['peak_rss_mb']:.0f} MB", flush=True)
    incremental = run_indexer(corpus, work / f"index-{label}", rebuild=False)
    print(f"  ours, unchanged corpus again: {incremental['wall_s']:.1f} s", flush=True)
    jieba_s = floor_jieba(texts)
    print(f"  floor jieba: {jieba_s:.1f} s", flush=True)
    bare_dir = work / f"bare-{label}"
    jw_s = floor_jieba_whoosh(rows, bare_dir)
    print(f"  floor jieba + bare Whoosh: {jw_s:.1f} s", flush=True)
    q = measure(work / f"index-{label}", [dict(x) for x in queries], rounds)
    print(f"  query ours p50 {q['ours_p50_ms']:.1f} / p95 {q['ours_p95_ms']:.1f} ms; "
          f"bare p50 {q['bare_p50_ms']:.1f} / p95 {q['bare_p95_ms']:.1f} ms", flush=True)
    index_bytes = dir_size(work / f"index-{label}")
    result = {
        "label": label, "files": len(files), "paragraphs": len(rows), "characters": chars,
        "index": {
            "ours_s": ours["wall_s"], "ours_chars_per_s": chars / ours["wall_s"],
            "ours_peak_rss_mb": ours["peak_rss_mb"], "ours_summary": ours["summary"],
            "incremental_unchanged_s": incremental["wall_s"],
            "floor_jieba_s": jieba_s, "floor_jieba_whoosh_s": jw_s,
            "ratio_to_jieba": ours["wall_s"] / jieba_s, "ratio_to_floor": ours["wall_s"] / jw_s,
            "ours_index_mb": index_bytes / 2**20, "bare_index_mb": dir_size(bare_dir) / 2**20,
        },
        "query": q,
    }
    shutil.rmtree(bare_dir, ignore_errors=True)
    return result


def plot(results: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs = [r["paragraphs"] for r in results]
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.2))
    a.plot(xs, [r["index"]["ours_s"] for r in results], "o-", label="ours (search-index, all cores)")
    a.plot(xs, [r["index"]["floor_jieba_whoosh_s"] for r in results], "s--", label="floor: jieba + bare Whoosh (1 process)")
    a.plot(xs, [r["index"]["floor_jieba_s"] for r in results], "^:", label="jieba alone")
    a.set(title="Indexing", xlabel="paragraphs", ylabel="seconds")
    a.legend(fontsize=8)
    b.plot(xs, [r["query"]["ours_p95_ms"] for r in results], "o-", label="ours p95")
    b.plot(xs, [r["query"]["ours_p50_ms"] for r in results], "o:", label="ours p50")
    b.plot(xs, [r["query"]["bare_p95_ms"] for r in results], "s-", label="bare Whoosh p95")
    b.plot(xs, [r["query"]["bare_p50_ms"] for r in results], "s:", label="bare Whoosh p50")
    b.set(title="Query (facets on all three)", xlabel="paragraphs", ylabel="ms")
    b.legend(fontsize=8)
    for ax in (a, b):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", type=Path, nargs="+", help="corpus folder(s)")
    ap.add_argument("--sizes", default="10000,100000,0", help="paragraph counts; 0 = everything")
    ap.add_argument("--rounds", type=int, default=5, help="query rounds per size")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--queries", type=Path, default=HERE / "queries.txt")
    ap.add_argument("--out", type=Path, default=HERE / "results")
    ap.add_argument("--keep", action="store_true", help="keep the work folder (indexes) for inspection")
    args = ap.parse_args()
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
            results.append(run_size(label, chosen, work, queries, args.rounds))
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
    print(f"{'size':>6} {'paras':>8} {'ours s':>8} {'floor s':>8} {'ratio':>6} {'jieba×':>7} {'incr s':>7} "
          f"{'peak MB':>8} {'q p95 ms':>9} {'bare p95':>9} {'ratio':>6}")
    for r in results:
        i, q = r["index"], r["query"]
        print(f"{r['label']:>6} {r['paragraphs']:>8,} {i['ours_s']:>8.1f} {i['floor_jieba_whoosh_s']:>8.1f} "
              f"{i['ratio_to_floor']:>6.2f} {i['ratio_to_jieba']:>7.2f} {i['incremental_unchanged_s']:>7.1f} "
              f"{i['ours_peak_rss_mb']:>8.0f} {q['ours_p95_ms']:>9.1f} {q['bare_p95_ms']:>9.1f} {q['ratio_p95']:>6.2f}")
    print(f"results: {args.out / (stamp + '.json')}, plot: {args.out / (stamp + '.png')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
