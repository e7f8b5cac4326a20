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
    html: bool = False  # a page, not JSON: its Server-Timing is kept too
    times: list[float] = field(default_factory=list)
    server_times: list[float] = field(default_factory=list)
    totals: list[int] = field(default_factory=list)


def api_search_requests(queries: list[dict]) -> list[tuple[str, str, None]]:
    out = []
    for spec in queries:
        params = [("q", spec["q"])] + [(k, spec[k]) for k in ("district", "year", "domain") if spec[k]]
        out.append(("GET", "/api/search?" + urlencode(params + [("limit", "10")]), None))
    return out


def page_requests(queries: list[dict], view: str) -> list[tuple[str, str, None]]:
    """The web page itself (``/``), as a browser asks for it: ``view`` is
    ``paragraphs`` or ``documents`` (charts, facets, citations included)."""
    out = []
    for spec in queries:
        params = [("q", spec["q"])] + [(k, spec[k]) for k in ("district", "year", "domain") if spec[k]]
        if view != "paragraphs":
            params.append(("view", view))
        out.append(("GET", "/?" + urlencode(params), None))
    return out


def _server_ms(resp) -> float | None:
    timing = resp.getheader("Server-Timing") or ""
    if "dur=" in timing:
        return float(timing.split("dur=", 1)[1].split(";")[0].split(",")[0])
    return None


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
        if t.html:
            server = _server_ms(resp)
            if server is not None:
                t.server_times.append(server / 1000)
            return elapsed, {}
        return elapsed, json.loads(data)

    n = len(targets[0].requests)
    for i in range(n):  # warm every side once, and keep its counts
        for t in targets:
            _, answer = ask(t, i)
            t.totals.append(t.total_of(answer) if t.total_of else None)
    for t in targets:
        t.server_times.clear()  # the warm-up's are not kept
    for _ in range(rounds):
        for i in range(n):
            for t in targets:
                t.times.append(ask(t, i)[0])
    for c in conns.values():
        c.close()
    out = {}
    for t in targets:
        out[t.name] = {"p50_ms": percentile(t.times, 50) * 1000, "p95_ms": percentile(t.times, 95) * 1000,
                       "mean_ms": sum(t.times) / len(t.times) * 1000, "requests": len(t.times), "totals": t.totals}
        if t.server_times:
            out[t.name].update(server_p50_ms=percentile(t.server_times, 50) * 1000,
                               server_p95_ms=percentile(t.server_times, 95) * 1000)
    return out
