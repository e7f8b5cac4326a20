"""OpenSearch, for archives beyond one machine (``--engine opensearch``).

The only module importing ``opensearchpy``. It indexes the library's own
tokens, not text for OpenSearch to segment: a field's value is its tokens by
position, the words of one position joined by ``|`` (``数字政府|数字|政府``)
and an empty position as ``GAP``; the index's analyzer splits on whitespace,
puts the ``|`` parts at one position (``pattern_capture``) and drops the gap
marks keeping their positions (``stop``). So a phrase means what it means to
the other engines, and a field's length counts every token, sub-words
included (``discount_overlaps: false``), as ``search.ranking`` defines it.
Lucene's BM25 leaves out the constant ``1 + k1``; scores are multiplied by it
to be on the other engines' scale. Facets are filter aggregations, each
leaving out its own facet's filter, beside a ``post_filter``.

The index folder keeps what the other engines keep — generations,
``CURRENT``, the lock — but a generation holds only where its index is
(``reform-search.json``: the cluster URL and the index name). The cluster
holds an alias, the name users configure (``--opensearch-index``), pointing
at the live physical index: a rebuild fills a new one, moves the alias in
one request, then drops the old one, so readers see the old index or the
whole new one.

The URL comes from ``--opensearch-url`` / ``REFORM_SEARCH_OPENSEARCH_URL``
(the ``url`` setting), else from the generation. A cluster that cannot be reached, times out, is
red or lacks the index is ``EngineUnavailable`` (an ``IndexDamaged``: a
reader must not build over it), with one line saying which.
"""
from __future__ import annotations

import base64
import json
import logging
import os
import threading
import time
from pathlib import Path

from .. import analysis, ranking, storage
from ..text import one_line
from ..engine import (
    DOCUMENT_BUCKETS, FACETS, SEQUENCE_BOOST, TITLE_BOOST, TITLE_MATCH_WEIGHT, ChunkRecord, date_sort_keys,
    day_number, day_range, document_fields, document_from_fields, DocumentRecord, empty_counts, EngineResult, Filters, Hit,
    issuer_values, SearchRequest,
)
from .base import CountedUpdate, FolderEngine, QueryCompiler, document_of
from ..errors import EngineUnavailable, IndexDamaged, IndexIncomplete, IndexMissing

SCHEMA_VERSION = 4  # 2: chars, the text's exact characters; 3: lead, what a title's word finds; 4: issuer, kind, day_n
DEFAULT_URL = "http://127.0.0.1:9200"
DEFAULT_INDEX = "reform-search"
GAP = "\u2063"  # an empty position (a clause break): dropped by the analyzer, its position kept
DEFAULT_TIMEOUT = 30.0  # seconds a request may take (the timeout setting)
BULK_CHUNK = 500
BULK_THREADS = 2  # bulk requests in flight: the cluster indexes one while the next is sent
FLUSH_AT = BULK_CHUNK * BULK_THREADS * 4  # paragraphs gathered before they are sent
FACET_SIZE = 10_000
_DOC_TERMS = {"terms": {"field": "doc_id", "size": DOCUMENT_BUCKETS}}  # documents, each with its paragraphs
MAX_WINDOW = 1_000_000  # paging deep into a result (OpenSearch stops at 10,000 by default)
SCORE_SCALE = 1.0 + ranking.K1  # Lucene's BM25 leaves this constant out


LIVE_SETTINGS = {"index": {"refresh_interval": "1s", "auto_expand_replicas": "0-1"}}
# while a new index fills: no replica (the replica is copied whole at the end,
# not indexed twice) and no refresh (nothing reads it yet)
LOADING_SETTINGS = {"auto_expand_replicas": "false", "number_of_replicas": 0, "refresh_interval": "-1"}
GREEN_WAIT = 120  # seconds for the new index's replicas before it goes live
# kept-alive connections per process: search-web's --threads is at most 64,
# and a pool smaller than the threads using it opens and drops a connection
# per request (urllib3's "Connection pool is full" warning)
MAX_CONNECTIONS = 64

# opensearch-py logs every failed request as a warning with its traceback;
# the engine's callers say what failed in one line (EngineUnavailable)
logging.getLogger("opensearch").addHandler(logging.NullHandler())
logging.getLogger("opensearch").propagate = False


def shards_for(data_nodes: int) -> int:
    """The rule for a new index's primary shards: one per data node, so a
    search runs on every node's cores at once and each node holds 1/n of the
    archive. Replicas are ``auto_expand_replicas: 0-1``: a copy of each
    shard on another node once there are two, so a node lost loses nothing.
    The count is fixed when the index is made; a rebuild after nodes are
    added (or gone) chooses again."""
    return max(1, data_nodes)


def index_settings(replicas: str = "0-1", shards: int = 1) -> dict:
    """The index's analysis, similarity and fields (see the module's doc)."""
    ours = {"type": "custom", "tokenizer": "whitespace", "filter": ["positions", "gaps"]}
    bm25 = {"type": "BM25", "k1": ranking.K1, "b": ranking.B, "discount_overlaps": False}
    tokens = {"type": "text", "analyzer": "ours", "search_analyzer": "whitespace", "similarity": "bm25"}
    return {
        "settings": {
            "index": {"number_of_shards": shards, "auto_expand_replicas": replicas, "max_result_window": MAX_WINDOW},
            "similarity": {"bm25": bm25},
            "analysis": {
                "filter": {
                    "positions": {"type": "pattern_capture", "preserve_original": False, "patterns": ["([^|]+)"]},
                    "gaps": {"type": "stop", "stopwords": [GAP]},
                },
                "analyzer": {"ours": ours},
            },
        },
        "mappings": {
            "dynamic": "strict",
            "_source": {"excludes": ["text", "section", "title", "lead", "chars"]},
            "properties": {
                "text": tokens,
                # analysis.char_string: a pair of characters per position (quotes), never scored
                "chars": {"type": "text", "analyzer": "whitespace", "norms": False, "index_options": "positions"},
                "section": tokens,
                "title": {"type": "text", "analyzer": "whitespace", "similarity": "bm25", "index_options": "freqs"},
                # ranking.lead_pads: the title on a document's first paragraph, PADs on the others
                "lead": {"type": "text", "analyzer": "whitespace", "similarity": "bm25", "index_options": "freqs"},
                "chunk_id": {"type": "keyword"},
                "doc_id": {"type": "keyword"},
                "first": {"type": "byte"},
                "district": {"type": "keyword"},
                "year": {"type": "keyword"},
                "year_n": {"type": "integer"},
                "domain": {"type": "keyword"},
                "issuer": {"type": "keyword"},
                "kind": {"type": "keyword"},
                "day_n": {"type": "integer"},  # engine.day_number: date spans as ranges (0: none)
                "paragraph": {"type": "integer"},
                "part": {"type": "integer"},
                "date_desc": {"type": "long"},
                "date_asc": {"type": "long"},
                "d": {"type": "object", "enabled": False},  # the document's record, as a hit shows it
                "c": {"type": "object", "enabled": False},  # the chunk's
                "tokens": {"type": "binary"},
                "section_tokens": {"type": "binary"},
            },
        },
    }


def _clean(word: str) -> str | None:
    return None if not word or word == GAP or any(ch in word for ch in " \t\n\r|\u3000") else word


def token_string(tokens) -> str:
    """A field's value: its tokens by position (see the module's doc)."""
    if tokens is None:
        return ""
    by_position: dict[int, list[str]] = {}
    for word, position, _start, _end in tokens:
        word = _clean(word)
        if word is not None:
            by_position.setdefault(position, []).append(word)
    if not by_position:
        return ""
    last = max(by_position)
    return " ".join("|".join(by_position[p]) if p in by_position else GAP for p in range(last + 1))


def _packed(tokens) -> str | None:
    return base64.b64encode(analysis.pack_tokens(tokens)).decode("ascii") if tokens is not None else None


def _unpacked(value: str | None):
    return analysis.unpack_tokens(base64.b64decode(value)) if value else None


def _records(source: dict) -> tuple[DocumentRecord, ChunkRecord]:
    c = source["c"]
    doc = document_from_fields(source["d"])
    chunk = ChunkRecord(c["chunk_id"], c["paragraph"], c["part"], c["text"], c["section_path"], c["domains"],
                        tokens=_unpacked(source.get("tokens")), section_tokens=_unpacked(source.get("section_tokens")))
    return doc, chunk


# ------------------------------------------------------------------ queries


def _term(field: str, word: str) -> dict:
    return {"term": {field: word}}


def _any(clauses: list[dict]) -> dict:
    return clauses[0] if len(clauses) == 1 else {"bool": {"should": clauses, "minimum_should_match": 1}}


def _phrase(field: str, words: list[str], boost: float | None = None) -> dict:
    if len(words) == 1 and boost is None:
        return _term(field, words[0])
    body = {"query": " ".join(words), "slop": 0}
    if boost is not None:
        body["boost"] = boost
    return {"match_phrase": {field: body}}


class OpenSearchQueries(QueryCompiler):
    """The query tree as OpenSearch's query DSL (``base.QueryCompiler``
    walks it). Lucene's scores are multiplied by ``SCORE_SCALE`` to be on
    the product's scale: a constant score is divided by it."""

    def term(self, field: str, word: str) -> dict:
        return _term(field, word)

    def phrase(self, field: str, words: list[str]) -> dict:
        return _phrase(field, words)

    def any_of(self, queries: list) -> dict:
        return _any(queries)

    def all_of(self, queries: list, excluded: list) -> dict:
        body: dict = {"must": queries or [{"match_all": {}}]}
        if excluded:
            body["must_not"] = excluded
        return {"bool": body}

    def boosted(self, query: dict, weight: float) -> dict:
        return query if weight == 1.0 else {"bool": {"should": [query], "boost": weight}}

    def constant(self, query: dict, score: float) -> dict:
        return {"constant_score": {"filter": query, "boost": score / SCORE_SCALE}}

    def exact(self, grams: list[str], words: list[str]) -> dict:
        where = _phrase("chars", grams) if len(grams) > 1 else _term("chars", grams[0])
        return {"bool": {"filter": [where], "should": [_term("text", w) for w in words]}}

    def title_match(self, word: str) -> dict:
        return {"term": {"lead": {"value": word, "boost": TITLE_MATCH_WEIGHT}}}

    def title_extra(self, words: tuple[str, ...]) -> dict:
        return {"bool": {"should": [_term("title", w) for w in words], "boost": TITLE_BOOST}}

    def sequence_extra(self, words: list[str]) -> dict:
        return _phrase("text", words, SEQUENCE_BOOST)

    def ranked(self, query: dict, extras: list) -> dict:
        return {"bool": {"must": [query], "should": extras}}

    def every(self) -> dict:
        return {"match_all": {}}


QUERIES = OpenSearchQueries()


def filter_clauses(f: Filters) -> dict[str, dict]:
    out = {}
    if f.district:
        out["district"] = {"terms": {"district": list(f.district)}}
    if f.year:
        out["year"] = _any([{"range": {"year_n": {"gte": lo, "lte": hi}}} for lo, hi in f.year])
    for facet in ("domain", "issuer", "kind"):
        values = getattr(f, facet)
        if values:
            out[facet] = {"terms": {facet: list(values)}}
    if f.date:
        low, high = day_range(f.date)
        out["date"] = {"range": {"day_n": {"gte": low, "lte": high}}}
    if f.title:
        out["title"] = {"bool": {"filter": [_term("title", w) for w in f.title]}}
    return out


# ------------------------------------------------------------------ writing


class OpenSearchUpdate(CountedUpdate):
    """One run's changes, sent in bulk as they come. A rebuild fills a new
    physical index that the alias is moved to only when it holds every
    paragraph and its replicas are copied."""

    def __init__(self, engine: "OpenSearchEngine", gen: Path | None, new_generation: bool, *, index: str, alias: str,
                 url: str | None = None, procs: int = 1):
        super().__init__(engine, gen, new_generation)
        self.alias = alias  # the name readers use
        self.index = index  # the physical index written
        self.client = engine.client()
        self.before = 0 if new_generation else self.engine._count(index)
        self.actions: list[dict] = []

    def _write(self, doc: DocumentRecord) -> None:
        date_desc, date_asc = date_sort_keys(doc)
        about = document_fields(doc)
        title = " ".join(w for w in (doc.title_tokens.words if doc.title_tokens else []) if _clean(w))
        pads = ranking.lead_pads(title)
        issuers, day = issuer_values(doc), day_number(doc.date)
        sections: dict[str, str] = {}
        for number, chunk in enumerate(doc.chunks):
            body = {
                "chunk_id": chunk.chunk_id, "doc_id": doc.doc_id, "first": 1 if number == 0 else 0,
                "text": token_string(ranking.padded(chunk.tokens)), "title": title,
                "lead": title if number == 0 else pads, "chars": analysis.char_string(chunk.chars),
                "district": doc.district, "year": str(doc.year) if doc.year else None, "year_n": doc.year or 0,
                "domain": list(chunk.domains), "issuer": issuers, "kind": doc.kind, "day_n": day,
                "paragraph": chunk.paragraph, "part": chunk.part,
                "date_desc": date_desc, "date_asc": date_asc, "d": about,
                "c": {"chunk_id": chunk.chunk_id, "paragraph": chunk.paragraph, "part": chunk.part,
                      "section_path": chunk.section_path, "domains": chunk.domains, "text": chunk.text},
                "tokens": _packed(chunk.tokens),
            }
            if chunk.section_path:
                key = chunk.section_text
                if key not in sections:
                    sections[key] = token_string(chunk.section_tokens)
                body["section"] = sections[key]
                body["section_tokens"] = _packed(chunk.section_tokens)
            self.actions.append({"_index": self.index, "_id": chunk.chunk_id, "_source": body})
        if len(self.actions) >= FLUSH_AT:
            self._flush()

    def _delete(self, doc_id: str) -> int:
        self._flush()
        with self.engine.failures():
            held = self.client.count(index=self.index, body={"query": _term("doc_id", doc_id)})["count"]
            if held:
                self.client.delete_by_query(index=self.index, body={"query": _term("doc_id", doc_id)},
                                            refresh=True, conflicts="proceed")
        return held

    def _flush(self) -> None:
        if not self.actions:
            return
        from opensearchpy import helpers

        actions, self.actions = self.actions, []
        errors = []
        with self.engine.failures():
            # the cluster waits for a lost shard at most the request timeout
            # (its own default is a minute per request), and answers within it
            for ok, item in helpers.parallel_bulk(self.client, actions, thread_count=BULK_THREADS,
                                                  chunk_size=BULK_CHUNK, raise_on_error=False,
                                                  timeout=f"{max(1, int(self.engine.timeout))}s",
                                                  request_timeout=self.engine.timeout * 2):
                if not ok:
                    errors.append(item)
        if errors:
            raise IndexIncomplete(f"OpenSearch refused {len(errors)} paragraph(s) ({_bulk_reason(errors[0])})")

    def _commit_writes(self) -> None:
        self._flush()
        with self.engine.failures():
            if self.new_generation:  # replicas and refreshing as a live index has them
                self.client.indices.put_settings(index=self.index, body=LIVE_SETTINGS)
            self.client.indices.refresh(index=self.index)

    def _held(self) -> int:
        return self.engine._count(self.index)

    def _documents_held(self) -> int:
        return self.engine._count(self.index, _term("first", 1))

    def _go_live(self) -> None:
        self._wait_for_replicas()
        self.engine._point_alias_at(self.index, self.alias)

    def _drop(self) -> None:
        self.engine._drop(self.index)

    def _rollback(self) -> None:
        self.actions = []
        if self.new_generation:
            self._drop()

    def _wait_for_replicas(self) -> None:
        """Live only once the new index is green (its replicas copied). A
        red one (a node died with a shard that had no copy yet) cannot turn
        green: that fails at once, not after the whole wait. The wait is for
        the copy to move, not to finish: a replica of a 10x archive's shard
        is gigabytes, and the wait starts again each time more of it has
        arrived."""
        deadline, copied = time.monotonic() + GREEN_WAIT, -1
        while True:
            with self.engine.failures():
                status = self.client.cluster.health(index=self.index, request_timeout=self.engine.timeout).get("status")
            if status == "green":
                return
            now = self._bytes_copied()
            if now > copied:
                deadline, copied = time.monotonic() + GREEN_WAIT, now
            if status == "red" or time.monotonic() > deadline:
                self._abandon()
                raise IndexIncomplete(f"the new index is {status}: a node holding part of it is gone" if status == "red"
                                      else f"the new index's replicas did not move for {GREEN_WAIT} s")
            time.sleep(1)

    def _bytes_copied(self) -> int:
        """Bytes the replicas being made of the new index have received."""
        with self.engine.failures():
            r = self.client.indices.recovery(index=self.index, active_only=True, request_timeout=self.engine.timeout)
        return sum(shard.get("index", {}).get("size", {}).get("recovered_in_bytes", 0)
                   for shard in r.get(self.index, {}).get("shards", []))


# ------------------------------------------------------------------ the engine


class OpenSearchEngine(FolderEngine):
    """Opened once per process and shared: the client is thread-safe."""

    NAME = "opensearch"
    SCHEMA_VERSION = SCHEMA_VERSION
    READS_UNRECORDED = False  # every generation it wrote records its schema
    UPDATE = OpenSearchUpdate

    def __init__(self, root: str | os.PathLike, url: str | None = None, index: str | None = None,
                 timeout: str | float | None = None):
        """``url``, ``index``, ``timeout``: the options' (``search.engines.ENGINES``)."""
        self.root = Path(root)
        try:
            self.timeout = float(timeout) if timeout else DEFAULT_TIMEOUT
        except ValueError:
            raise ValueError(f"OpenSearch timeout: expected a number of seconds, got {timeout!r}") from None
        if not self.timeout > 0:
            raise ValueError(f"OpenSearch timeout: expected more than 0 seconds, got {timeout!r}")
        self._url = url
        self._index = index
        self._lock = threading.Lock()
        self._client = None
        self._client_url = None
        self._meta = None  # (pointer stamp, the live generation's record)

    # -- where the index is
    def _recorded(self) -> dict:
        """The live generation's record, read again only when ``CURRENT`` was
        switched (every search asks where the index is: one stat, not a
        pointer and a file read)."""
        stamp = storage.pointer_stamp(self.root)
        cached = self._meta
        if cached is not None and stamp is not None and cached[0] == stamp:
            return cached[1]
        gen = storage.live_generation(self.root)
        meta = json.loads((gen / storage.GEN_META).read_text(encoding="utf-8"))
        self.check_schema(gen, meta.get("schema"))
        self._meta = (stamp, meta)
        return meta

    def location(self) -> tuple[str, str]:
        """(cluster URL, alias) of the live index; a fresh one for a first build."""
        try:
            meta = self._recorded()
        except (IndexMissing, IndexDamaged):  # a first build, or a rebuild over a damaged folder
            meta = {}
        # the option wins for the cluster (a cluster can move); the index the
        # folder names wins for the index (the option names a new build's)
        url = (self._url or meta.get("url") or DEFAULT_URL).rstrip("/")
        return url, meta.get("alias") or self._index or DEFAULT_INDEX

    def client(self):
        url, _ = self.location()
        with self._lock:
            if self._client is None or self._client_url != url:
                from opensearchpy import OpenSearch

                # a connection refused is tried again (another attempt is
                # quick); a timeout is not: the documented timeout is the
                # whole wait, not one of three
                self._client = OpenSearch(hosts=[url], timeout=self.timeout, max_retries=2,
                                          retry_on_timeout=False, http_compress=True,
                                          pool_maxsize=MAX_CONNECTIONS)
                self._client_url = url
            return self._client

    def failures(self):
        return _Failures(self)

    # -- lifecycle
    def check(self) -> None:
        self._recorded()
        _, alias = self.location()
        with self.failures():
            c = self.client()
            health = c.cluster.health(index=alias, request_timeout=self.timeout)
            if health.get("status") == "red":
                raise EngineUnavailable(f"the OpenSearch index {alias} is red: a shard has no copy on a live node")
            if not c.indices.exists_alias(name=alias):
                raise EngineUnavailable(f"the OpenSearch cluster at {self.location()[0]} has no index {alias}; "
                                        f"run search-index --rebuild")

    def is_red(self, alias: str) -> bool:
        try:
            return self.client().cluster.health(index=alias, request_timeout=5).get("status") == "red"
        except Exception:
            return False

    def health(self) -> dict:
        """The cluster's state for /healthz: status, nodes, and a reason when unreachable."""
        url, alias = self.location()
        try:
            h = self.client().cluster.health(request_timeout=5)
            return {"cluster": h.get("status"), "nodes": h.get("number_of_nodes"), "url": url, "index": alias}
        except Exception as exc:
            return {"cluster": "unreachable", "url": url, "index": alias, "reason": one_line(exc)[:200]}

    def reopen(self) -> None:
        pass

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                try:
                    self._client.close()
                except Exception:
                    pass
            self._client = None

    def clean_up(self) -> list[str]:
        """Abandoned generations, and physical indexes of ours that the alias
        does not name (a killed rebuild's). Hold the lock."""
        removed = storage.clean(self.root)
        try:
            _, alias = self.location()
            c = self.client()
            live = set(c.indices.get_alias(name=alias)) if c.indices.exists_alias(name=alias) else set()
            for name in c.indices.get(index=f"{alias}-gen-*", ignore_unavailable=True):
                if name not in live:
                    c.indices.delete(index=name)
                    removed.append(name)
        except Exception:
            pass
        return removed

    # -- writing
    def _update_live(self, procs: int) -> OpenSearchUpdate:
        self.check()
        _, alias = self.location()
        return OpenSearchUpdate(self, None, new_generation=False, index=self._physical(alias), alias=alias)

    def _create_index(self, gen: Path) -> dict:
        """A new physical index, loading-fast (no replicas, no refresh) until
        its run goes live; the alias a rebuild fills is the option's, when
        given (a folder may move to another index)."""
        url, alias = self.location()
        alias = self._index or alias
        index = f"{alias}-{gen.name}-{int(time.time())}"
        with self.failures():
            nodes = self.client().cluster.health(request_timeout=self.timeout).get("number_of_data_nodes") or 1
        body = index_settings(shards=shards_for(nodes))
        body["settings"]["index"].pop("auto_expand_replicas")
        body["settings"]["index"].update(LOADING_SETTINGS)
        with self.failures():
            self.client().indices.create(index=index, body=body)
        return {"url": url, "alias": alias, "index": index}

    def _physical(self, alias: str) -> str:
        with self.failures():
            names = list(self.client().indices.get_alias(name=alias))
        if len(names) != 1:
            raise EngineUnavailable(f"the alias {alias} names {len(names)} indexes, not one")
        return names[0]

    def _point_alias_at(self, index: str, alias: str) -> None:
        """One request moves the alias (readers see the old index or the new
        one), then the old physical index goes."""
        c = self.client()
        with self.failures():
            old = list(c.indices.get_alias(name=alias)) if c.indices.exists_alias(name=alias) else []
            if c.indices.exists(index=alias) and not old:  # a real index squatting the alias's name
                raise EngineUnavailable(f"an index named {alias} exists and is not ours; choose another "
                                        f"--opensearch-index")
            actions = [{"remove": {"index": o, "alias": alias}} for o in old] + [{"add": {"index": index, "alias": alias}}]
            c.indices.update_aliases(body={"actions": actions})
            for o in old:
                if o != index:
                    c.indices.delete(index=o, ignore_unavailable=True)

    def _drop(self, index: str) -> None:
        with self.failures():
            self.client().indices.delete(index=index, ignore_unavailable=True)

    def _count(self, index: str, query: dict | None = None) -> int:
        with self.failures():
            return self.client().count(index=index, body={"query": query or {"match_all": {}}})["count"]

    def _search(self, body: dict, **params) -> dict:
        """Scores from the whole index's statistics, not each shard's: on
        several shards BM25's idf and average length would otherwise be the
        shard's, and one paragraph's score would depend on where its id was
        hashed. On one shard the cluster skips the extra round itself.

        A search is asked once more when a shard copy failed under it: the
        second round goes to the copy the first round chose, with no other
        copy tried, so a node lost between the rounds fails that shard (a
        query-then-fetch search would have moved to the replica). The second
        asking finds the replica; a red index still fails at once."""
        from opensearchpy import exceptions as ex

        _, alias = self.location()
        for last in (False, True):
            with self.failures():
                try:
                    r = self.client().search(index=alias, body=body, search_type="dfs_query_then_fetch", **params)
                except ex.ConnectionError:
                    raise  # a cluster gone or slow: asking again would double the wait the timeout promises
                except ex.TransportError as exc:
                    if (last or exc.status_code not in (500, 503) or self.is_red(alias)
                            or "too_many_buckets" in json.dumps(getattr(exc, "info", ""))):
                        raise
                    continue
            if last or not (r.get("_shards") or {}).get("failed"):
                return r

    def _shards(self) -> int:
        _, alias = self.location()
        with self.failures():
            r = self.client().indices.get_settings(index=alias, name="index.number_of_shards")
        return sum(int(v["settings"]["index"]["number_of_shards"]) for v in r.values())

    # -- inventory
    def catalogue(self) -> list[DocumentRecord]:
        from opensearchpy import helpers

        _, alias = self.location()
        with self.failures():
            return [document_from_fields(row["_source"]["d"])
                    for row in helpers.scan(self.client(), index=alias, size=2000,
                                            query={"query": _term("first", 1), "_source": ["d"]})]

    def stats(self) -> dict:
        _, alias = self.location()
        return {"paragraphs": self._count(alias), "documents": self._count(alias, _term("first", 1)),
                "generation": self._physical(alias)}

    def facet_values(self, facet: str) -> list[str]:
        r = self._search({"size": 0, "aggs": {"v": {"terms": {"field": facet, "size": FACET_SIZE}}}})
        return sorted(b["key"] for b in r["aggregations"]["v"]["buckets"])

    # -- terms
    def known_terms(self, words) -> set[str]:
        words = sorted({w for w in words if _clean(w)})
        if not words:
            return set()
        filters = {str(i): _any([_term("text", w), _term("section", w)]) for i, w in enumerate(words)}
        r = self._search({"size": 0, "aggs": {"w": {"filters": {"filters": filters}}}})
        buckets = r["aggregations"]["w"]["buckets"]
        return {words[int(k)] for k, b in buckets.items() if b["doc_count"] > 0}

    def term_counts(self, words) -> dict[str, int]:
        """Each word's document frequency, read from the index's statistics
        through the term vectors of an artificial document made of the
        words (one request of a few ms a shard; a filters aggregation over
        the words' postings took 0.2-1 s for a common start such as 个人).
        An artificial document is answered by one shard, the one its
        ``preference`` names: each shard is asked and the counts added."""
        words = sorted(set(words))
        asked = [w for w in words if _clean(w)]
        counts = dict.fromkeys(words, 0)
        if asked:
            _, alias = self.location()
            body = {"doc": {"text": " ".join(asked)}, "per_field_analyzer": {"text": "whitespace"},
                    "term_statistics": True, "field_statistics": False, "positions": False, "offsets": False}
            for shard in range(self._shards()):
                with self.failures():
                    r = self.client().termvectors(index=alias, body=body, preference=f"_shards:{shard}")
                found = (r.get("term_vectors") or {}).get("text", {}).get("terms", {})
                for w in asked:
                    counts[w] += found.get(w, {}).get("doc_freq", 0)
        return counts

    def _neighbours(self, word: str) -> list[tuple[str, int]]:
        """The term suggester's candidates (the rule is ``similar_terms``')."""
        if not _clean(word):
            return []
        body = {"size": 0, "suggest": {"s": {"text": word, "term": {
            "field": "text", "suggest_mode": "always", "max_edits": 1, "prefix_length": 1,
            "min_word_length": 2, "size": 20, "analyzer": "whitespace"}}}}
        r = self._search(body)
        return [(option["text"], option.get("freq", 0))
                for entry in r.get("suggest", {}).get("s", []) for option in entry.get("options", [])]

    # -- searching
    def search(self, request: SearchRequest) -> EngineResult:
        filters = filter_clauses(request.filters)
        body = _search_body(request, filters)
        aggs, counting_documents = _aggregations(request, filters)
        if aggs:
            body["aggs"] = aggs
        params = {}
        if request.time_limit:
            body["timeout"] = f"{max(1, int(request.time_limit * 1000))}ms"
            params["request_timeout"] = max(self.timeout, request.time_limit * 4)
        # past the cluster's search.max_buckets, give up the counts that make
        # most buckets: documents per value first, then the comparison's
        to_give_up = (["document_facets"] if counting_documents else []) + (["pivot"] if request.pivot else [])
        given_up: list[str] = []
        while True:
            try:
                r = self._search(body, **params)
                break
            except TooManyBuckets:
                if not to_give_up:
                    raise
                step = to_give_up.pop(0)
                if step == "document_facets":
                    for terms in counting_documents:
                        del terms["aggs"]
                else:
                    del aggs["_pivot"]
                given_up.append(step)
        shards = r.get("_shards") or {}
        if shards.get("failed"):  # a part of the index did not answer: no answer rather than a wrong one
            raise EngineUnavailable(f"the OpenSearch index answered from {shards.get('successful')} of "
                                    f"{shards.get('total')} shards; try again")
        return _result(r, request, given_up)

    def document(self, doc_id: str, first: int = 1, last: int | None = None) -> DocumentRecord | None:
        everything = _term("doc_id", doc_id)
        r = self._search({"size": 0, "query": everything, "aggs": {"most": {"max": {"field": "paragraph"}}}})
        if not r["hits"]["total"]["value"]:
            return None
        count = int(r["aggregations"]["most"]["value"] or 0)
        block = {"range": {"paragraph": {"gte": first, "lte": last if last is not None else count}}}
        wanted = {"bool": {"filter": [everything, block]}}
        n = self._search({"size": 0, "query": wanted, "track_total_hits": True})["hits"]["total"]["value"]
        size = max(1, n)
        r = self._search({"size": size, "query": wanted if n else everything,
                          "sort": [{"paragraph": "asc"}, {"part": "asc"}]})
        return document_of([_records(h["_source"]) for h in r["hits"]["hits"]], count, bool(n))


class TooManyBuckets(EngineUnavailable):
    """One search asked the cluster for more aggregation buckets than
    ``search.max_buckets`` allows."""


class _Failures:
    """The cluster's failures as one line a user can act on."""

    def __init__(self, engine: OpenSearchEngine):
        self.engine = engine

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if exc is None or isinstance(exc, (IndexDamaged, IndexMissing, IndexIncomplete)):
            return False
        from opensearchpy import exceptions as ex

        url, alias = self.engine.location()
        if isinstance(exc, ex.ConnectionTimeout):
            raise EngineUnavailable(f"the OpenSearch cluster at {url} did not answer in time") from None
        if isinstance(exc, ex.ConnectionError):
            raise EngineUnavailable(f"the OpenSearch cluster at {url} cannot be reached "
                                    f"({_reason(exc)})") from None
        if isinstance(exc, ex.NotFoundError):
            raise EngineUnavailable(f"the OpenSearch cluster at {url} has no index {alias}; "
                                    f"run search-index --rebuild") from None
        if isinstance(exc, ex.TransportError) and "too_many_buckets_exception" in json.dumps(getattr(exc, "info", "")):
            raise TooManyBuckets(f"the OpenSearch cluster at {url} refused to count so many buckets "
                                 f"(search.max_buckets)") from None
        if isinstance(exc, ex.TransportError) and exc.status_code == 503 and self.engine.is_red(alias):
            raise EngineUnavailable(f"the OpenSearch index {alias} is red: a shard has no copy on a live node") from None
        if isinstance(exc, ex.TransportError):
            raise EngineUnavailable(f"the OpenSearch cluster at {url} refused the request "
                                    f"({exc.status_code}: {_reason(exc)})") from None
        return False


def _bulk_reason(item: dict) -> str:
    """One refused paragraph's reason: ``503 unavailable_shards_exception:
    [rs-gen-…][0] primary shard is not active…``, never the raw answer."""
    outcome = next(iter(item.values()), {}) if isinstance(item, dict) else {}
    error = outcome.get("error") if isinstance(outcome, dict) else None
    if isinstance(error, dict):
        text = f"{outcome.get('status', '')} {error.get('type', '')}: {one_line(str(error.get('reason') or ''))}"
    else:
        text = f"{outcome.get('status', '') if isinstance(outcome, dict) else ''} {one_line(str(error or item))}"
    return _cut(text.strip())


def _cut(text: str, most: int = 160) -> str:
    """At most ``most`` characters, cut at a space where there is one (an
    OpenSearch reason is English with long names in it), marked as cut."""
    if len(text) <= most:
        return text
    space = text.rfind(" ", most // 2, most)
    return text[:space if space > 0 else most] + " …"


def _reason(exc) -> str:
    info = getattr(exc, "info", None)
    if isinstance(info, dict):
        err = info.get("error")
        if isinstance(err, dict):
            return _cut(one_line(err.get("reason") or err.get("type") or ""))
    text = str(getattr(exc, "error", "") or exc)
    if "Connection refused" in str(exc):
        return "connection refused"
    return _cut(one_line(text))


def _search_body(request: SearchRequest, filters: dict) -> dict:
    """The query, the page and the order of a search (its aggregations apart)."""
    page, limit = max(1, request.page), max(0, request.limit)
    body: dict = {
        "query": QUERIES.ranked_query(request.query, request.preferred) if limit else (QUERIES.compile(request.query)
                                                           if request.query is not None else {"match_all": {}}),
        "from": (page - 1) * limit, "size": limit, "track_total_hits": True,
    }
    if filters:
        body["post_filter"] = {"bool": {"filter": list(filters.values())}}
    if request.light:
        body["_source"] = {"excludes": ["tokens", "section_tokens"]}
    if request.sort in ("date", "date-asc"):
        # engine.reading_order, field by field
        body["sort"] = [{"date_desc": "desc"} if request.sort == "date" else {"date_asc": "asc"},
                        {"doc_id": "asc"}, {"paragraph": "asc"}, {"part": "asc"}]
        body["track_scores"] = True
    return body


def _aggregations(request: SearchRequest, filters: dict) -> tuple[dict, list[dict]]:
    """The counts a search asks for, and the terms aggregations among them
    that also count documents (doc_id buckets under each value: exact, where
    cardinality is an estimate), which are given up first."""
    aggs: dict = {}
    counting_documents: list[dict] = []
    if request.facets:
        for facet in FACETS:
            others = [c for name, c in filters.items() if name != facet]
            terms = {"terms": {"field": facet, "size": FACET_SIZE}}
            if request.documents:
                terms["aggs"] = {"d": _DOC_TERMS}
                counting_documents.append(terms)
            aggs[facet] = {"filter": {"bool": {"filter": others}}, "aggs": {"v": terms}} if others else terms
    if request.documents:  # paragraphs per document
        aggs["_documents"] = {"filter": {"bool": {"filter": list(filters.values())}}, "aggs": {"v": _DOC_TERMS}}
    if request.pivot:
        years: dict = {"terms": {"field": "year", "size": FACET_SIZE}}
        if request.documents:
            years["aggs"] = {"d": _DOC_TERMS}
            counting_documents.append(years)
        aggs["_pivot"] = {
            "filter": {"bool": {"filter": [c for name, c in filters.items() if name not in ("district", "year")]}},
            "aggs": {"v": {"terms": {"field": "district", "size": FACET_SIZE}, "aggs": {"y": years}}}}
    return aggs, counting_documents


def _result(r: dict, request: SearchRequest, given_up: list[str]) -> EngineResult:
    """A search's answer read from the cluster's response."""
    documents = request.documents and "document_facets" not in given_up
    hits = []
    for h in r["hits"]["hits"]:
        doc, chunk = _records(h["_source"])
        hits.append(Hit(doc, chunk, float(h.get("_score") or 0.0) * SCORE_SCALE))
    result = EngineResult(total=r["hits"]["total"]["value"], hits=hits, facets=empty_counts(),
                          timed_out=["ranking"] if r.get("timed_out") else [], given_up=given_up)
    if request.facets:
        for facet in FACETS:
            agg = r["aggregations"][facet]
            buckets = agg["v"]["buckets"] if "v" in agg else agg["buckets"]
            result.facets[facet] = {b["key"]: b["doc_count"] for b in buckets}
            if documents:
                result.document_facets[facet] = {b["key"]: len(b["d"]["buckets"]) for b in buckets}
    if request.documents:
        agg = r["aggregations"]["_documents"]["v"]
        result.documents = {b["key"]: b["doc_count"] for b in agg["buckets"]}
        result.document_total = len(result.documents)
        if agg.get("sum_other_doc_count"):
            result.given_up.append("documents")
    if request.pivot and "pivot" not in given_up:
        for b in r["aggregations"]["_pivot"]["v"]["buckets"]:
            if not b["y"]["buckets"]:  # its matches have no year
                continue
            result.pivot[b["key"]] = {y["key"]: y["doc_count"] for y in b["y"]["buckets"]}
            if documents:
                result.document_pivot[b["key"]] = {y["key"]: len(y["d"]["buckets"]) for y in b["y"]["buckets"]}
    return result
