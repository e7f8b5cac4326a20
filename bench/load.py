"""Many readers at once: closed-loop clients on loopback, bounded in time.

    python bench/load.py --index tantivy=/tmp/bx-tantivy --index whoosh=/tmp/bx-whoosh \\
        --index opensearch=/tmp/bx-opensearch --clients 16,64 --seconds 60 --peer --label all
    python bench/load.py --url http://127.0.0.1:8000 --clients 16 --seconds 60

For each index, ``search-web`` is started as a user starts it (no flags but
the index and a free port: default workers, threads and time limit), warmed
with one pass of the fixed query set (``bench/queries.txt``), and then for
each client count every client loops over the set with its own keep-alive
connection, asking ``/api/search`` (top 10, facets, highlights) as fast as it
is answered, until the time is up. ``--peer`` loads Meilisearch with the
paragraphs of the first index (read back from it: the same paragraphs, not a
second pass over the files) and puts it under the same load with the request
that mirrors ``/api/search`` (``meili.py``).

Per engine and client count: requests, errors (any non-200 or transport
failure), throughput, p50/p95/p99 latency, and the serving memory — every
process of ``search-web`` together (the peak of their PSS added up during
the load: the memory-mapped index the workers share counted once), the
local OpenSearch nodes apart, Meilisearch's one process. Prints one table, writes
``bench/results/load-<date>.json``. The machine is shared and its cores are
the clients' too: read the ratios between engines of one run.
``run_load()`` is also what ``bench/run.py`` calls.
"""
from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from http_latency import api_search_requests, page_requests  # noqa: E402
from query_latency import load_queries, percentile  # noqa: E402

Request = tuple  # (method, path, body bytes or None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(index: Path, threads: int | None = None, workers: int | None = None) -> tuple[subprocess.Popen, str]:
    """``search-web`` on a free port; only the flags given are passed, so by
    default it runs as a user starts it."""
    port = _free_port()
    # The server's log goes to a file: an unread pipe fills up with waitress's
    # "Task queue depth" warnings and then blocks every worker thread.
    log = tempfile.NamedTemporaryFile(prefix="search-web-", suffix=".log", delete=False)
    args = [sys.executable, "-m", "web.cli", "--index", str(index), "--port", str(port)]
    if threads is not None:
        args += ["--threads", str(threads)]
    if workers is not None:
        args += ["--workers", str(workers)]
    proc = subprocess.Popen(args, cwd=HERE.parent, stdout=subprocess.DEVNULL, stderr=log)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300  # a worker reads a large archive's catalogue before it answers
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"search-web exited: {Path(log.name).read_text(errors='replace')[-500:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return proc, url
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("search-web did not come up within 300 s")


def run_load(url: str, requests: list[Request], clients: int, seconds: float, timeout: float = 30.0) -> dict:
    """``clients`` threads, each with its own connection, asking ``requests``
    in turn (each starting at its own place) until ``seconds`` are up."""
    parts = urlsplit(url)
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds
    headers = {"Content-Type": "application/json"}

    def client(n: int):
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        i = n
        mine, bad = [], []
        while time.monotonic() < stop_at:
            method, path, body = requests[i % len(requests)]
            i += 1
            t0 = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                if resp.status != 200:
                    bad.append(f"{resp.status} {path}")
                elif "json" in (resp.getheader("Content-Type") or ""):
                    json.loads(data)  # a whole answer, not a cut one
            except Exception as exc:  # a transport failure is an error too
                bad.append(f"{type(exc).__name__}: {exc}")
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
            mine.append(time.perf_counter() - t0)
        conn.close()
        with lock:
            latencies.extend(mine)
            errors.extend(bad)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    return {
        "clients": clients, "seconds": round(elapsed, 1), "requests": len(latencies), "errors": len(errors),
        "error_samples": errors[:5], "rps": len(latencies) / elapsed if elapsed else 0,
        "p50_ms": percentile(latencies, 50) * 1000, "p95_ms": percentile(latencies, 95) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000, "max_ms": max(latencies, default=0) * 1000,
    }


def warm(url: str, requests: list[Request]) -> None:
    """One pass of the set, so no query's first time (caches, the first
    reader of each worker) is counted in the load."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    try:
        for method, path, body in requests * 2:  # two workers by default: each sees the set
            conn.request(method, path, body=body, headers={"Content-Type": "application/json"})
            conn.getresponse().read()
    finally:
        conn.close()


# ---------------------------------------------------------------- memory
def _pss_mb(procs) -> float:
    """Proportional set size, added up: a page the processes share (the
    memory-mapped index every worker reads) counted once in all, where
    adding their RSS would count it once per worker."""
    import psutil

    total = 0
    for p in procs:
        try:
            total += p.memory_full_info().pss
        except psutil.Error:
            pass
    return total / 2**20


def tree_pss_mb(pid: int) -> float:
    """What search-web's processes (supervisor and workers) hold together,
    in MB (their PSS added up)."""
    import psutil

    try:
        root = psutil.Process(pid)
        return _pss_mb([root] + root.children(recursive=True))
    except psutil.Error:
        return 0.0


def nodes_pss_mb() -> float:
    """The local OpenSearch nodes together (``scripts/opensearch-local``'s)."""
    import psutil

    from run import ClusterMemory

    procs = []
    for pid in ClusterMemory._pids():
        try:
            procs.append(psutil.Process(pid))
        except psutil.Error:
            pass
    return _pss_mb(procs)


class PeakMemory:
    """The largest value of ``measure()`` while the block runs (sampled)."""

    def __init__(self, measure, interval: float = 0.5):
        self.measure, self.interval, self.peak = measure, interval, 0.0
        self._stop = threading.Event()

    def __enter__(self):
        def poll():
            while not self._stop.is_set():
                self.peak = max(self.peak, self.measure())
                self._stop.wait(self.interval)

        self._thread = threading.Thread(target=poll, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=10)
        self.peak = max(self.peak, self.measure())
        return False


# ---------------------------------------------------------------- the matrix
def paragraph_rows(index: Path) -> list[tuple[str, str, str, str]]:
    """Every paragraph of an index as the peer takes it: (text, district,
    year, domains) — read back from the index, so the peer gets exactly
    the paragraphs ours holds."""
    from search.engines import open_engine

    engine = open_engine(index)
    try:
        rows = []
        for doc_id in sorted(engine.indexed_documents()):
            doc = engine.document(doc_id)
            rows.extend((c.text, doc.district or "", str(doc.year or ""), ",".join(c.domains)) for c in doc.chunks)
        return rows
    finally:
        engine.close()


def engine_name(index: Path) -> str:
    from search.engines import open_engine

    engine = open_engine(index)
    try:
        return engine.NAME
    finally:
        engine.close()


def paragraphs_in(index: Path) -> int:
    from search.engines import open_engine

    engine = open_engine(index)
    try:
        return engine.stats()["paragraphs"]
    finally:
        engine.close()


def load_one(name: str, url: str, requests: list[Request], clients: list[int], seconds: float, serving,
             extra=None) -> list[dict]:
    """Warm once, then each client count in turn: the figures and memory."""
    warm(url, requests)
    rows = []
    for n in clients:
        with PeakMemory(serving) as served, PeakMemory(extra or (lambda: 0.0)) as beside:
            held = run_load(url, requests, n, seconds)
        held.update(engine=name, serving_mb=served.peak, beside_mb=beside.peak)
        rows.append(held)
        print(f"  {name}: {n} clients x {held['seconds']:.0f} s: {held['requests']} requests, {held['errors']} errors, "
              f"{held['rps']:.1f} req/s, p50 {held['p50_ms']:.1f} / p95 {held['p95_ms']:.1f} / "
              f"p99 {held['p99_ms']:.1f} ms, serving {served.peak:.0f} MB"
              + (f" + nodes {beside.peak:.0f} MB" if extra else ""), flush=True)
        for e in held["error_samples"]:
            print("    error:", e, flush=True)
    return rows


def matrix(indexes: list[tuple[str, Path]], clients: list[int], seconds: float, queries: list[dict],
           peer: bool, documents: list[int] = ()) -> list[dict]:
    """Every index (and the peer), one after the other: only the server
    under load runs (an idle one would only hold memory). ``documents``:
    client counts for the by-document page (``/?view=documents``) too."""
    ours_requests = api_search_requests(queries)
    rows = []
    for name, index in indexes:
        proc, url = start_server(index)
        try:
            extra = nodes_pss_mb if engine_name(index) == "opensearch" else None
            rows += load_one(name, url, ours_requests, clients, seconds, lambda: tree_pss_mb(proc.pid), extra)
            if documents:
                rows += load_one(f"{name}:documents", url, page_requests(queries, "documents"), documents, seconds,
                                 lambda: tree_pss_mb(proc.pid), extra)
        finally:
            proc.terminate()
            proc.wait(timeout=60)
    if peer:
        from meili import Meili

        paragraphs = paragraph_rows(indexes[0][1])
        meili = Meili()
        try:
            took = meili.load(paragraphs)
            print(f"  meilisearch: {len(paragraphs):,} paragraphs (those of {indexes[0][0]}) loaded in {took:.0f} s",
                  flush=True)
            requests = [("POST", f"/indexes/{meili.INDEX}/search", meili.body(s)) for s in queries]
            rows += load_one("meilisearch", f"http://127.0.0.1:{meili.port}", requests, clients, seconds,
                             lambda: tree_pss_mb(meili.proc.pid))
        finally:
            meili.close()
    return rows


def table(label: str, paragraphs: int, rows: list[dict]) -> str:
    head = (f"{'size':>5} {'paragraphs':>10} {'engine':<20} {'clients':>7} {'requests':>8} {'errors':>6} "
            f"{'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'serving MB':>10}")
    lines = [head]
    for r in rows:
        memory = f"{r['serving_mb']:.0f}" + (f" + {r['beside_mb']:.0f} nodes" if r.get("beside_mb") else "")
        lines.append(f"{label:>5} {paragraphs:>10,} {r['engine']:<20} {r['clients']:>7} {r['requests']:>8} "
                     f"{r['errors']:>6} {r['rps']:>7.1f} {r['p50_ms']:>7.1f} {r['p95_ms']:>7.1f} {r['p99_ms']:>7.1f} "
                     f"{memory:>10}")
    return "\n".join(lines)


def _named_index(text: str) -> tuple[str, Path]:
    name, sep, path = text.partition("=")
    if not sep:
        path = Path(text)
        if not path.is_dir():
            raise argparse.ArgumentTypeError(f"index folder not found: {text}")
        return engine_name(path), path
    if not Path(path).is_dir():
        raise argparse.ArgumentTypeError(f"index folder not found: {path}")
    return name, Path(path)


def _counts(text: str) -> list[int]:
    try:
        counts = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of client counts: {text}") from None
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError(f"not a list of client counts: {text}")
    return counts


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=_named_index, action="append", default=[], metavar="[NAME=]DIR",
                    help="start search-web on this index (repeat for several engines)")
    ap.add_argument("--url", help="load a running server instead")
    ap.add_argument("--clients", type=_counts, default=[16], help="client counts, e.g. 16,64 (default 16)")
    ap.add_argument("--seconds", type=float, default=60, help="seconds per client count (default 60)")
    ap.add_argument("--documents", type=_counts, default=[], metavar="CLIENTS",
                    help="also the by-document page (/?view=documents) with these client counts")
    ap.add_argument("--peer", action="store_true", help="Meilisearch beside, with the first index's paragraphs")
    ap.add_argument("--label", default="", help="the size's name in the table (default: the paragraph count)")
    ap.add_argument("--queries", type=Path, default=HERE / "queries.txt")
    ap.add_argument("--out", type=Path, default=HERE / "results")
    args = ap.parse_args()
    if bool(args.index) == bool(args.url):
        ap.error("give --index (one or more) or --url")
    queries = load_queries(args.queries)
    if args.url:
        rows = [dict(run_load(args.url, api_search_requests(queries), n, args.seconds), engine=args.url,
                     serving_mb=0.0) for n in args.clients]
        print(table(args.label or "-", 0, rows))
        return 1 if any(r["errors"] for r in rows) else 0
    paragraphs = paragraphs_in(args.index[0][1])
    label = args.label or f"{paragraphs // 1000}k"
    print(f"[{label}] {paragraphs:,} paragraphs; {', '.join(n for n, _ in args.index)}"
          f"{' and meilisearch' if args.peer else ''}; clients {args.clients}, {args.seconds:.0f} s each", flush=True)
    rows = matrix(args.index, args.clients, args.seconds, queries, args.peer, args.documents)
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y-%m-%d-%H%M")
    out = args.out / f"load-{label}-{stamp}.json"
    out.write_text(json.dumps({"date": stamp, "cpus": os.cpu_count(), "label": label, "paragraphs": paragraphs,
                               "indexes": {n: str(p) for n, p in args.index}, "rows": rows},
                              ensure_ascii=False, indent=1), encoding="utf-8")
    print()
    print(table(label, paragraphs, rows))
    print(f"results: {out}")
    return 1 if any(r["errors"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
