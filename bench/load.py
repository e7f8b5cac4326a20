"""Load on ``/api/search``: N concurrent clients for S seconds, on loopback.

    python bench/load.py --index data/index --clients 8 --seconds 30
    python bench/load.py --url http://127.0.0.1:8000 --clients 16 --seconds 60

Starts ``search-web`` on a free port for the given index (or uses ``--url``),
then every client loops over the fixed query set (``bench/queries.txt``) with
its own keep-alive connection. Reports requests, errors (any non-200 or
transport failure), throughput and p50/p95/p99 latency. ``run_load()`` is also
what ``bench/run.py`` calls.
"""
from __future__ import annotations

import argparse
import http.client
import json
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from query_latency import load_queries, percentile  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(index: Path, threads: int = 4, workers: int = 0) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    # The server's log goes to a file: an unread pipe fills up with waitress's
    # "Task queue depth" warnings and then blocks every worker thread.
    log = tempfile.NamedTemporaryFile(prefix="search-web-", suffix=".log", delete=False)
    proc = subprocess.Popen([sys.executable, "-m", "web.cli", "--index", str(index), "--port", str(port),
                             "--threads", str(threads), "--workers", str(workers)], cwd=HERE.parent,
                            stdout=subprocess.DEVNULL, stderr=log)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
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
    raise RuntimeError("search-web did not come up within 120 s")


def run_load(url: str, queries: list[dict], clients: int, seconds: float, timeout: float = 30.0) -> dict:
    parts = urlsplit(url)
    paths = []
    for spec in queries:
        params = [("q", spec["q"])] + [(k, spec[k]) for k in ("district", "year", "domain") if spec[k]]
        paths.append("/api/search?" + urlencode(params))
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(n: int):
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        i = n
        mine, bad = [], []
        while time.monotonic() < stop_at:
            path = paths[i % len(paths)]
            i += 1
            t0 = time.perf_counter()
            try:
                conn.request("GET", path)
                resp = conn.getresponse()
                body = resp.read()
                if resp.status != 200:
                    bad.append(f"{resp.status} {path}")
                else:
                    json.loads(body)
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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, help="start search-web on this index")
    ap.add_argument("--url", help="use a running server instead")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--threads", type=int, default=4, help="server threads per process (with --index)")
    ap.add_argument("--workers", type=int, default=0, help="server processes (with --index; 0: one per core)")
    ap.add_argument("--queries", type=Path, default=HERE / "queries.txt")
    args = ap.parse_args()
    if not (args.index or args.url):
        ap.error("give --index or --url")
    proc = None
    url = args.url
    if args.index:
        proc, url = start_server(args.index, args.threads, args.workers)
    try:
        res = run_load(url, load_queries(args.queries), args.clients, args.seconds)
    finally:
        if proc:
            proc.terminate()
            proc.wait(timeout=30)
    print(f"{res['clients']} clients × {res['seconds']} s: {res['requests']} requests, {res['errors']} errors, "
          f"{res['rps']:.1f} req/s")
    print(f"latency p50 {res['p50_ms']:.1f} ms  p95 {res['p95_ms']:.1f} ms  p99 {res['p99_ms']:.1f} ms  "
          f"max {res['max_ms']:.1f} ms")
    for e in res["error_samples"]:
        print("  error:", e)
    return 1 if res["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
