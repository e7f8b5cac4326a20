"""The library's public face: a query string in, the contract's JSON object out.

The CLI and the web page ask this module for answers. It orchestrates: the
query side (``search.query``: parsing, planning and reading a thin answer
again, suggestions, the by-document walk) decides what the engine is asked;
this module asks, and shapes the answer — hits with their marks, snippets,
facets, groups, notes.
"""
from __future__ import annotations

import threading

from . import analysis, catalogue, highlight, storage
from .engine import SECTION_SEPARATOR, Engine, Filters, SearchRequest, empty_counts, official_of, shown_score
from .engines import Settings, live_engine, open_engine
from .errors import BadRequest
from .query.options import Options
from .query.parse import parse
from .query.plan import Planner
from .query.suggest import suggest, without
from .query.completion import completions
from .query.walk import WALK_MAX, walk

EXPORT_MAX_ROWS = 10_000
MAX_SUGGEST_CHARS = 200  # what a search box sends as it is typed in
__all__ = ["BadRequest", "Options", "SearchService", "without"]  # what the edges take from here


class SearchService:
    """Created once per process with an opened engine; thread-safe."""

    def __init__(self, engine: Engine, time_limit: float | None = None, settings: Settings | None = None):
        """``settings``: the engines' options, for an engine the index switches to."""
        self._engine = engine
        self._settings = settings
        self._stamp = storage.pointer_stamp(engine.root) if getattr(engine, "root", None) else None
        self._switching = threading.Lock()
        self.time_limit = time_limit
        self._catalogue: tuple[object, catalogue.Catalogue] | None = None  # (the index's stamp, its table)
        self._reading_catalogue = threading.Lock()

    @property
    def engine(self) -> Engine:
        """The engine of the index's live generation. A rebuild with another
        engine (``search-index --engine tantivy --rebuild`` under a running
        ``search-web``) is followed as any generation switch is: when
        ``CURRENT`` changes and names a generation another engine wrote, that
        engine is opened; the old one is left to the requests still in it."""
        engine = self._engine
        root = getattr(engine, "root", None)
        if root is None:
            return engine
        stamp = storage.pointer_stamp(root)
        if stamp == self._stamp:
            return engine
        with self._switching:
            if stamp != self._stamp:
                built_by = live_engine(root)
                if built_by is not None and built_by != getattr(self._engine, "NAME", built_by):
                    self._engine = open_engine(root, settings=self._settings)
                self._stamp = stamp
            return self._engine

    def _planner(self) -> Planner:
        return Planner(self.engine, self.time_limit)

    # ---------------------------------------------------------------- search
    def search(self, q: str, opts: Options | None = None, pivot: bool = False) -> dict:
        """The answer: the contract object, with offsets where the contract
        has marks (each hit's ``spans`` in its text, the excerpt's
        ``window``, its ``section_path`` and the ``section_spans`` in it);
        ``search.present`` renders them at the edges. ``pivot``: also
        ``district_years``, each district's matches year by year (every
        other filter honoured, district and year selections ignored), for
        the comparison chart, counted in the same search."""
        opts = opts or Options()
        planner = self._planner()
        tree, filters, notes, parsed = planner.plan(q, opts)
        if parsed is None:
            return self._empty(q, opts, notes)
        done = planner.execute(tree, filters, notes, opts.page, opts.limit, opts.sort, True, pivot=pivot,
                               parsed=parsed, q=q)
        tree, result = done.tree, done.result
        self._timeout_notes(result, notes)
        words = highlight.Marks.of(tree)
        path_spans: dict = {}  # a heading path covers many paragraphs: mark it once
        hits = [self._hit_json(h, words, path_spans) for h in result.hits]
        suggestions = done.links + (suggest(self.engine, q, tree, filters, parsed) if result.total == 0 else [])
        notes.extend(x["note"] for x in suggestions if x["note"] not in notes)
        return {
            "suggestions": suggestions,
            "district_years": result.pivot,
            "query": q,
            "total": result.total,
            "page": opts.page,
            "limit": opts.limit,
            "hits": hits,
            "facets": {k: _sorted_counts(v) for k, v in result.facets.items()},
            "notes": notes,
            "places": parsed.places,
        }

    def overview(self, q: str = "", opts: Options | None = None) -> dict:
        """The facet values a search can be narrowed by, each with its
        paragraph count: for ``q`` and the filters, or for the whole index
        when nothing is typed (``search --facets``)."""
        opts = opts or Options()
        planner = self._planner()
        tree, filters, notes, parsed = planner.plan(q, opts)
        if parsed is None and q.strip():  # typed, but nothing searchable: the notes say why
            return {"query": q, "total": 0, "facets": empty_counts(), "notes": notes}
        if parsed is None:
            notes = []  # nothing typed and no filter: every paragraph
        result = self.engine.search(SearchRequest(query=tree, filters=filters, limit=0, time_limit=self.time_limit))
        return {"query": q, "total": result.total,
                "facets": {k: _sorted_counts(v) for k, v in result.facets.items()}, "notes": notes}

    def export(self, q: str, opts: Options | None = None, max_rows: int = EXPORT_MAX_ROWS) -> dict:
        """Every matching paragraph (up to ``max_rows``) in ranking or date
        order, with the hit fields but no snippet: what a researcher takes into
        a spreadsheet."""
        opts = opts or Options()
        planner = self._planner()
        tree, filters, notes, parsed = planner.plan(q, opts)
        if parsed is None:
            return {"query": q, "total": 0, "rows": [], "truncated": False, "notes": notes}
        result = planner.execute(tree, filters, notes, 1, max_rows, opts.sort, False, parsed=parsed, q=q).result
        rows = []
        for h in result.hits:
            rows.append(self._hit_json(h))
        truncated = result.total > len(rows)
        if truncated:
            notes.append(f"共 {result.total} 段，只导出前 {len(rows)} 段；请加上筛选条件分批导出。")
        return {"query": q, "total": result.total, "rows": rows, "truncated": truncated, "notes": notes,
                "conditions": self._conditions(q, opts, result.total, len(rows))}

    def _conditions(self, q: str, opts: Options, total: int, rows: int) -> dict:
        """How an export was made, for the file to remember: the query, every
        filter as asked, the order, the engine and the index generation that
        answered, when, and how many rows of how many matches."""
        import datetime

        try:
            generation = self.engine.stats().get("generation")
        except Exception:  # a count the export does not need to fail for
            generation = None
        return {"query": q, "district": list(opts.district), "year": list(opts.year), "domain": list(opts.domain),
                "issuer": list(opts.issuer), "kind": list(opts.kind), "date": opts.date or None, "sort": opts.sort,
                "synonyms": opts.synonyms, "engine": self.engine.NAME, "generation": generation,
                "exported": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
                "rows": rows, "total": total}

    # ------------------------------------------------------------- browse
    def documents(self, opts: Options | None = None, sort: str = "date") -> dict:
        """Every document that passes the filters (no words needed), a page
        of them in ``sort``'s order (``catalogue.SORTS``), with the facet
        counts in documents: the archive's table (home page, ``/documents``,
        ``search --list``)."""
        opts = opts or Options()
        if sort not in catalogue.SORTS:
            raise BadRequest(f"sort must be one of {', '.join(catalogue.SORTS)}")
        _, filters, notes, parsed = self._planner().plan("", opts)
        table = self.catalogue()
        if parsed is None:  # no filter: the whole archive, counted once per index state
            counted, notes = table.everything, []
        else:  # from the records, else the engine's count, kept with the table for paging and sorting
            counted = table.counted(filters.key(), lambda: table.of_records(filters) or self.engine.search(
                SearchRequest(filters=filters, limit=0, documents=True, time_limit=self.time_limit)))
            self._timeout_notes(counted, notes)
        return {"total": counted.document_total, "paragraphs": counted.total, "page": opts.page,
                "limit": opts.limit, "sort": sort, "documents": table.rows(counted, sort, opts.page, opts.limit),
                "facets": {k: _sorted_counts(v) for k, v in counted.document_facets.items()}, "notes": notes}

    def suggest_as_typed(self, typed: str, words: int = 6, titles: int = 4) -> dict:
        """What the search box offers while a word is typed: the indexed
        words that start with its last word (the words before it kept), the
        most used first, then the titles that start with or hold it. Nothing
        for a word already finished (a space after it), a filter, a quote or
        an exclusion."""
        typed = (typed or "")[:MAX_SUGGEST_CHARS]
        head, _, last = typed.rpartition(" ") if not typed.endswith((" ", "\u3000")) else (typed, "", "")
        start = "".join(ch for ch in analysis.normalize_word(last.rstrip("*")) if ch.isalnum())
        out = []
        if start and not last.startswith(("-", '"', "“")) and ":" not in last and "：" not in last:
            lead = head + " " if head else ""
            out = [{"text": lead + w, "kind": "word", "count": n}
                   for w, n in completions(self.engine, start, words + 1) if w != start][:words]
            out += [{"text": d.title, "kind": "title", "doc_id": d.doc_id, "url": f"/doc/{d.doc_id}",
                     "district": d.district, "year": d.year}
                    for d in self.catalogue().titles_with(start, titles)]
        return {"query": typed, "suggestions": out}

    def catalogue(self) -> catalogue.Catalogue:
        """Every document's record and the unfiltered count, read again only
        when the index changed (a switch or an incremental commit)."""
        engine = self.engine
        root = getattr(engine, "root", None)
        stamp = (id(engine), storage.revision_stamp(root) if root is not None else None)
        held = self._catalogue
        if held is not None and held[0] == stamp and root is not None:
            return held[1]
        with self._reading_catalogue:
            held = self._catalogue
            if held is not None and held[0] == stamp and root is not None:
                return held[1]
            # each document's paragraphs; the facets in documents come from the
            # records (an engine gives up counting them over millions of
            # paragraphs: tantivy's bucket limit)
            paragraphs = engine.search(SearchRequest(filters=Filters(), limit=0, documents=True, facets=False))
            domains: dict[str, dict[str, int]] = {}
            for domain, holders in engine.facet_documents("domain").items():
                for doc_id, count in holders.items():
                    domains.setdefault(doc_id, {})[domain] = count
            table = catalogue.Catalogue({d.doc_id: d for d in engine.catalogue()}, paragraphs.documents,
                                        domains).prepare()
            self._catalogue = (stamp, table)
            return table

    def by_document(self, q: str, opts: Options | None = None, snippets: int = 2, pivot: bool = False) -> dict:
        """The matches as documents: one group per document with its number
        of matching paragraphs and its best ``snippets`` hits, documents in
        the order of their best paragraph (``relevance``) or their date, and
        the facet counts twice — in paragraphs and in documents.

        The order comes from walking the ranked paragraphs until the page's
        documents (and their snippets) are found; a document whose best
        paragraph ranks beyond ``WALK_MAX`` follows, by its number of
        matches, and a note says so. ``pivot``: ``district_years`` in
        documents (see ``search``)."""
        opts = opts or Options()
        planner = self._planner()
        tree, filters, notes, parsed = planner.plan(q, opts)
        empty = {"query": q, "total": 0, "documents": 0, "page": opts.page, "limit": opts.limit, "groups": [],
                 "facets": empty_counts(),
                 "document_facets": empty_counts(), "notes": notes}
        if parsed is None:
            return empty
        done = planner.execute(tree, filters, notes, 1, 0, opts.sort, True, documents=True, pivot=pivot,
                               parsed=parsed, q=q)
        tree, counted = done.tree, done.result
        self._timeout_notes(counted, notes)
        answer = {**empty, "total": counted.total, "documents": counted.document_total,
                  "facets": {k: _sorted_counts(v) for k, v in counted.facets.items()},
                  "document_facets": {k: _sorted_counts(v) for k, v in counted.document_facets.items()},
                  "district_years": counted.document_pivot}
        if counted.total == 0:
            answer["suggestions"] = suggest(self.engine, q, tree, filters, parsed)
            notes.extend(x["note"] for x in answer["suggestions"])
            return answer
        first, wanted = (opts.page - 1) * opts.limit, opts.page * opts.limit
        order, best = walk(self.engine, tree, filters, opts.sort, counted, wanted, snippets, done.preferred, self.time_limit)
        unseen = [d for d in sorted(counted.documents, key=lambda d: -counted.documents[d]) if d not in best]
        if unseen and len(order) < wanted:
            notes.append(f"有 {len(unseen)} 篇文档的最佳段落排在第 {WALK_MAX} 段之后，按匹配段落数列在最后。")
            order = order + unseen
        words = highlight.Marks.of(tree)
        path_spans: dict = {}
        groups = []
        for doc_id in order[first:wanted]:
            hits = best.get(doc_id, [])
            if opts.sort != "relevance":  # a document's best paragraphs, not its first
                hits = sorted(hits, key=lambda h: -h.score)
            hits = hits[:snippets]
            doc = hits[0].doc if hits else self.engine.document(doc_id, 1, 1)
            if doc is None:  # gone since it was counted (an update went live)
                continue
            groups.append({"doc_id": doc_id, "title": doc.title, "source": doc.source, "district": doc.district,
                           "year": doc.year, "date": doc.date, "date_source": doc.date_source, "url": doc.url,
                           **official_of(doc),
                           "matches": counted.documents.get(doc_id, len(hits)),
                           "score": round(shown_score(hits[0].score), 3) if hits else None,
                           "hits": [self._hit_json(h, words, path_spans) for h in hits]})
        answer["groups"] = groups
        return answer

    def _timeout_notes(self, result, notes: list[str]) -> None:
        """What the user reads for each count an engine cut short
        (``timed_out``) or gave up (``given_up``)."""
        if "facets" in result.timed_out:
            notes.append("结果太多，分面统计超时，总数和计数可能不完整；请加上更多检索词或筛选条件。")
        if "ranking" in result.timed_out:
            notes.append("检索超时，只按已检查的部分段落排序；请加上更多检索词或筛选条件。")
        if "pivot" in result.given_up:
            notes.append("匹配太多，地区逐年对比从略；请加上更多检索词或筛选条件。")
        if "documents" in result.given_up:
            notes.append(f"匹配的文档超过 {len(result.documents)} 篇，只列出匹配段落最多的 {len(result.documents)} 篇。")
        if "document_facets" in result.given_up:
            notes.append("匹配的文档太多，按文档的分面计数从略；请加上更多检索词或筛选条件。")

    def _empty(self, q, opts, notes):
        return {"query": q, "total": 0, "page": opts.page, "limit": opts.limit, "hits": [],
                "facets": empty_counts(), "notes": notes}

    def _hit_json(self, hit, words=None, path_spans: dict | None = None) -> dict:
        """A hit's fields; with ``words``, where they are marked too."""
        doc, chunk = hit.doc, hit.chunk
        row = {
            "doc_id": doc.doc_id,
            "chunk_id": chunk.chunk_id,
            "title": doc.title,
            "source": doc.source,
            "paragraph": chunk.paragraph,
            "section": chunk.section,
            "district": doc.district,
            "year": doc.year,
            "date": doc.date,
            "domains": list(chunk.domains),
            "score": round(shown_score(hit.score), 3),
            "date_source": doc.date_source,
            "text": chunk.text,
            "url": doc.url,
            "section_path": list(chunk.section_path),
            "shown_path": shown_path(chunk),
            **official_of(doc),
        }
        if words is not None:
            spans = highlight.match_spans(chunk.text, words, chunk.tokens)
            row["spans"] = [list(s) for s in spans]
            row["window"] = list(highlight.window(chunk.text, spans))
            row["section_spans"] = _path_spans(chunk, row["shown_path"], words, {} if path_spans is None else path_spans)
        return row

    def document(self, doc_id: str, q: str = "", at: int = 1, per_page: int | None = None) -> dict | None:
        """The cleaned document with the query marked; ``per_page``: only the
        block of that many paragraphs that holds paragraph ``at`` (what one
        request of a huge document may render)."""
        first, last = 1, None
        if per_page:
            first = (max(1, at) - 1) // per_page * per_page + 1
            last = first + per_page - 1
        doc = self.engine.document(doc_id, first, last)
        if doc is None:
            return None
        words = highlight.Marks()
        if q:
            parsed = parse(q)
            if parsed.tree is not None:
                planner = self._planner()
                words = highlight.Marks.of(planner.resolve(planner.widen_prefixes(parsed.tree, parsed, []), []))
        paragraphs = []
        path_spans: dict = {}
        for c in doc.chunks:
            spans = highlight.match_spans(c.text, words, c.tokens)
            paragraphs.append({
                "chunk_id": c.chunk_id, "paragraph": c.paragraph, "part": c.part,
                "section": c.section, "section_path": c.section_path, "shown_path": (shown := shown_path(c)),
                "section_spans": _path_spans(c, shown, words, path_spans), "domains": c.domains,
                "text": c.text, "spans": [list(s) for s in spans], "matches": len(spans),
            })
        return {"doc_id": doc.doc_id, "title": doc.title, "source": doc.source, "url": doc.url,
                "district": doc.district,
                "year": doc.year, "date": doc.date, "date_source": doc.date_source, **official_of(doc),
                "paragraphs": paragraphs,
                "paragraph_count": doc.paragraph_count, "first": first,
                "last": min(last or doc.paragraph_count, doc.paragraph_count)}


def shown_path(chunk) -> list[str]:
    """The heading path as a reader is shown it above the paragraph: without
    a run-in heading the paragraph opens with (推动战役战略性改革。加强…: it
    would read twice). The record keeps it — ``section`` in the contract
    still names it, and the paragraphs after it stand under it."""
    path = chunk.section_path
    if path and _letters(chunk.text).startswith(_letters(path[-1])):
        return list(path[:-1])
    return list(path)


def _letters(text: str) -> str:
    return "".join(ch for ch in text if ch.isalnum())


def _path_spans(chunk, shown: list[str], marks, seen: dict) -> list[list[int]]:
    """Where the marks fall in the shown heading path (``shown_path``), from
    the path's kept tokens (no token spans the separator, so each heading is
    marked alone; the shown path is the start of the whole one)."""
    key = tuple(shown)
    if key not in seen:
        text = chunk.section_text
        end = len(SECTION_SEPARATOR.join(shown))
        seen[key] = [list(s) for s in highlight.match_spans(text, marks, chunk.section_tokens)
                     if s[1] <= end] if shown else []
    return seen[key]


def _sorted_counts(counts: dict[str, int]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
