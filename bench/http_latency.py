"""One client, several HTTP servers, the same questions, interleaved.

Each target answers every query of the fixed set on its own keep-alive
connection; rounds go query by query and target by target, so a burst of
noise on this shared machine lands on every target alike. ``measure_http``
is what ``bench/run.py`` calls for ``/api/search`` of each engine and for the
Meilisearch peer.
"""
from __future__ import annotations

import http.client
import json
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from query_latency import percentile


@dataclass
class Target:
    name: str
    url: str
    requests: list[tuple[str, str, bytes | None]]  # (method, path, body), one per query
    total_of: object = None  # answer JSON -> match count, for the report
    times: list[float] = field(default_factory=list)
    totals: list[int] = field(default_factory=list)


def api_search_requests(queries: list[dict]) -> list[tuple[str, str, None]]:
    out = []
    for spec in queries:
        params = [("q", spec["q"])] + [(k, spec[k]) for k in ("district", "year", "domain") if spec[k]]
        out.append(("GET", "/api/search?" + urlencode(params + [("limit", "10")]), None))
    return out


def _connect(url: str) -> http.client.HTTPConnection:
    parts = urlsplit(url)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)


def measure_http(targets: list[Target], rounds: int) -> dict:
    conns = {t.name: _connect(t.url) for t in targets}
    headers = {"Content-Type": "application/json"}

    def ask(t: Target, i: int) -> tuple[float, dict]:
        method, path, body = t.requests[i]
        conn = conns[t.name]
        t0 = time.perf_counter()
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        elapsed = time.perf_counter() - t0
        if resp.status != 200:
            raise RuntimeError(f"{t.name} answered {resp.status} to {path}: {data[:200]!r}")
        return elapsed, json.loads(data)

    n = len(targets[0].requests)
    for i in range(n):  # warm every side once, and keep its counts
        for t in targets:
            _, answer = ask(t, i)
            t.totals.append(t.total_of(answer) if t.total_of else None)
    for _ in range(rounds):
        for i in range(n):
            for t in targets:
                t.times.append(ask(t, i)[0])
    for c in conns.values():
        c.close()
    return {t.name: {"p50_ms": percentile(t.times, 50) * 1000, "p95_ms": percentile(t.times, 95) * 1000,
                     "mean_ms": sum(t.times) / len(t.times) * 1000, "requests": len(t.times), "totals": t.totals}
            for t in targets}
