"""The researcher's desk under the benchmark: ``/api/suggest`` as a word is
typed, and the documents table (``/documents`` and ``/api/documents/all``)
sorted and filtered, each answered by ``search-web`` as a user starts it,
one client, every server asked the same requests interleaved
(``http_latency.measure_http``). Client p50/p95 and the server's own time
(``Server-Timing``); and, in-process, how long the table's one read of every
document takes after the index changed (``SearchService.catalogue``).

    python bench/desk_latency.py /tmp/bench-whoosh /tmp/bench-tantivy --rounds 3
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from http_latency import Target, _server_ms, measure_http  # noqa: E402
from query_latency import percentile  # noqa: E402
from load import start_server  # noqa: E402

QUERIES = Path(__file__).resolve().parent / "queries.txt"


def typed_prefixes() -> list[str]:
    """What a box holds as each query of the fixed set is typed: every start
    of its last word (the words before it whole), one character at a time."""
    out: list[str] = []
    for line in QUERIES.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        words = line.split("\t")[0].replace('"', "").split()
        for n, word in enumerate(words):
            head = " ".join(words[:n])
            for end in range(1, len(word) + 1):
                typed = (head + " " if head else "") + word[:end]
                if typed not in out:
                    out.append(typed)
    return out


def table_paths(districts: list[str], kinds: list[str]) -> list[str]:
    """The table as a researcher pages and sorts it."""
    variants = [[], [("sort", "title")], [("sort", "paragraphs")], [("sort", "date-asc"), ("page", "3")],
                [("date", "2015..2020")]]
    variants += [[("district", d)] for d in districts[:3]] + [[("kind", k), ("sort", "title")] for k in kinds[:3]]
    variants += [[("district", districts[0]), ("kind", kinds[0])]] if districts and kinds else []
    out = []
    for params in variants:
        query = ("?" + urlencode(params)) if params else ""
        out += [f"/documents{query}", f"/api/documents/all{query}"]
    return out


def first_visits(targets: list[Target]) -> dict:
    """Each request asked once, before anything is warm or remembered (the
    table keeps a filtered count until the index changes: this is what the
    first researcher to choose those filters waits), by the server's time."""
    import http.client
    from urllib.parse import urlsplit

    out = {}
    for t in targets:
        parts = urlsplit(t.url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
        times = []
        for method, path, body in t.requests:
            conn.request(method, path, body=body)
            resp = conn.getresponse()
            resp.read()
            times.append((_server_ms(resp) or 0) / 1000)
        conn.close()
        out[t.name] = {"p50_ms": percentile(times, 50) * 1000, "p95_ms": percentile(times, 95) * 1000,
                       "max_ms": max(times) * 1000}
    return out


def catalogue_seconds(index: Path) -> tuple[float, int]:
    from search.engines import open_engine
    from search.service import SearchService

    service = SearchService(open_engine(index))
    started = time.perf_counter()
    table = service.catalogue()
    return time.perf_counter() - started, len(table.documents)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("indexes", nargs="+", type=Path)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    from search.engines import live_engine

    servers, suggest, table = [], [], []
    prefixes = typed_prefixes()
    try:
        first = None
        for index in args.indexes:
            seconds, documents = catalogue_seconds(index)
            name = f"{live_engine(index)}:{index.name}"
            print(f"{name}: catalogue of {documents} documents read in {seconds:.2f} s", flush=True)
            proc, url = start_server(index, workers=1)
            servers.append(proc)
            if first is None:
                answer = json.load(__import__("urllib.request").request.urlopen(url + "/api/documents/all?limit=1"))
                first = table_paths(list(answer["facets"].get("district", {})), list(answer["facets"].get("kind", {})))
            suggest.append(Target(name, url, [("GET", "/api/suggest?" + urlencode({"q": p}), None) for p in prefixes],
                                  html=True))
            table.append(Target(name, url, [("GET", p, None) for p in first], html=True))
        first_table = first_visits(table)
        figures = {"suggest": measure_http(suggest, args.rounds), "table_first": first_table,
                   "table": measure_http(table, args.rounds),
                   "prefixes": len(prefixes), "table_requests": len(first)}
    finally:
        for proc in servers:
            proc.terminate()
            proc.wait(timeout=30)
    for what in ("suggest", "table"):
        for name, f in figures[what].items():
            print(f"{what:8} {name:28} client p50 {f['p50_ms']:7.1f} ms  p95 {f['p95_ms']:7.1f} ms   "
                  f"server p50 {f.get('server_p50_ms', 0):7.1f} ms  p95 {f.get('server_p95_ms', 0):7.1f} ms  "
                  f"({f['requests']} requests)")
    for name, f in figures["table_first"].items():
        print(f"{'table, first visit':20} {name:28} server p50 {f['p50_ms']:7.1f} ms  p95 {f['p95_ms']:7.1f} ms  "
              f"max {f['max_ms']:7.1f} ms")
    if args.json:
        args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
