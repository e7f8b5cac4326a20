"""The library's public face: a query string in, the contract's JSON object out.

The CLI and the web page ask this module for answers. It parses the query,
sets aside words that name no topic, reads pinyin and places typed in it,
falls back to a word's parts only when the index has never seen the word,
expands aliases, runs the engine, reads a thin answer again (``reading``:
exact characters, starts of words, typos, partial matches), and builds
snippets, facets and notes.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

from . import analysis, highlight, pinyin, query as querylang, reading, storage, understand
from .facets import TAXONOMY, canonical_district, canonical_domain
from .engine import AllOf, AnyOf, Engine, Filters, Phrase, SearchRequest, Term, empty_counts, iter_terms, shown_score
from .engines import Settings, live_engine, open_engine
from .lexicon import lexicon

MAX_LIMIT = 100
EXPORT_MAX_ROWS = 10_000
WALK_MAX = 10_000  # ranked paragraphs the by-document view reads to order documents
SORTS = ("relevance", "date", "date-asc")  # date: newest first


class BadRequest(ValueError):
    """A parameter outside what the contract allows (a usage error)."""


@dataclass
class Options:
    district: list[str] = field(default_factory=list)
    year: list[str] = field(default_factory=list)
    domain: list[str] = field(default_factory=list)
    page: int = 1
    limit: int = 10
    sort: str = "relevance"
    synonyms: bool = True  # False: the words as typed, no alias of data/aliases.txt


class SearchService:
    """Created once per process with an opened engine; thread-safe."""

    def __init__(self, engine: Engine, time_limit: float | None = None, settings: Settings | None = None):
        """``settings``: the engines' options, for an engine the index switches to."""
        self._engine = engine
        self._settings = settings
        self._stamp = storage.pointer_stamp(engine.root) if getattr(engine, "root", None) else None
        self._switching = threading.Lock()
        self.time_limit = time_limit

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
        if not 0 <= opts.limit <= MAX_LIMIT:
            raise BadRequest(f"limit must be between 0 and {MAX_LIMIT}")
        tree, filters, notes, parsed = self._plan(q, opts)
        if parsed is None:
            return self._empty(q, opts, notes)
        done = self._execute(tree, filters, notes, opts.page, opts.limit, opts.sort, True, pivot=pivot,
                             parsed=parsed, q=q)
        tree, result = done.tree, done.result
        self._timeout_notes(result, notes)
        words = highlight.Marks.of(tree)
        path_spans: dict = {}  # a heading path covers many paragraphs: mark it once
        hits = [self._hit_json(h, words, path_spans) for h in result.hits]
        suggestions = done.links + (self._suggestions(q, tree, filters, parsed) if result.total == 0 else [])
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
        tree, filters, notes, parsed = self._plan(q, opts)
        if parsed is None and q.strip():  # typed, but nothing searchable: the notes say why
            return {"query": q, "total": 0, "facets": empty_counts(), "notes": notes}
        if parsed is None:
            notes = []  # nothing typed and no filter: every paragraph
        result = self.engine.search(SearchRequest(tree, filters, 1, 0, "relevance", True, self.time_limit))
        return {"query": q, "total": result.total,
                "facets": {k: _sorted_counts(v) for k, v in result.facets.items()}, "notes": notes}

    def export(self, q: str, opts: Options | None = None, max_rows: int = EXPORT_MAX_ROWS) -> dict:
        """Every matching paragraph (up to ``max_rows``) in ranking or date
        order, with the hit fields but no snippet: what a researcher takes into
        a spreadsheet."""
        opts = opts or Options()
        tree, filters, notes, parsed = self._plan(q, opts)
        if parsed is None:
            return {"query": q, "total": 0, "rows": [], "truncated": False, "notes": notes}
        result = self._execute(tree, filters, notes, 1, max_rows, opts.sort, False, parsed=parsed, q=q).result
        rows = []
        for h in result.hits:
            rows.append(self._hit_json(h))
        truncated = result.total > len(rows)
        if truncated:
            notes.append(f"共 {result.total} 段，只导出前 {len(rows)} 段；请加上筛选条件分批导出。")
        return {"query": q, "total": result.total, "rows": rows, "truncated": truncated, "notes": notes}

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
        if not 0 <= opts.limit <= MAX_LIMIT:
            raise BadRequest(f"limit must be between 0 and {MAX_LIMIT}")
        tree, filters, notes, parsed = self._plan(q, opts)
        empty = {"query": q, "total": 0, "documents": 0, "page": opts.page, "limit": opts.limit, "groups": [],
                 "facets": empty_counts(),
                 "document_facets": empty_counts(), "notes": notes}
        if parsed is None:
            return empty
        done = self._execute(tree, filters, notes, 1, 0, opts.sort, True, documents=True, pivot=pivot,
                             parsed=parsed, q=q)
        tree, counted = done.tree, done.result
        self._timeout_notes(counted, notes)
        answer = {**empty, "total": counted.total, "documents": counted.document_total,
                  "facets": {k: _sorted_counts(v) for k, v in counted.facets.items()},
                  "document_facets": {k: _sorted_counts(v) for k, v in counted.document_facets.items()},
                  "district_years": counted.document_pivot}
        if counted.total == 0:
            answer["suggestions"] = self._suggestions(q, tree, filters, parsed)
            notes.extend(x["note"] for x in answer["suggestions"])
            return answer
        first, wanted = (opts.page - 1) * opts.limit, opts.page * opts.limit
        order, best = self._walk(tree, filters, opts.sort, counted, wanted, snippets, done.preferred)
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
                           "matches": counted.documents.get(doc_id, len(hits)),
                           "score": round(shown_score(hits[0].score), 3) if hits else None,
                           "hits": [self._hit_json(h, words, path_spans) for h in hits]})
        answer["groups"] = groups
        return answer

    def _walk(self, tree, filters, sort, counted, wanted: int, snippets: int, preferred: tuple = ()):
        """(documents in order of first appearance, each one's hits seen) from
        the ranked paragraphs, fetched in growing batches until the first
        ``wanted`` documents each have their snippets (or ``WALK_MAX``).
        The hits come without their tokens (thousands may be read to show
        twenty): the few shown are marked by analysing their text again,
        with the analyzer that made the index's tokens."""
        # one batch is usually enough: Whoosh scores every match whatever the
        # batch, tantivy reads only the batch's records (without tokens)
        batch = max(200, wanted * 20)
        enough = None  # the batch that held the wanted documents: their second excerpts are looked for
        while True:  # in at most four times as many paragraphs (a document's second-best may rank far down)
            batch = min(batch, WALK_MAX, counted.total)
            r = self.engine.search(SearchRequest(tree, filters, 1, batch, sort, False, self.time_limit, light=True,
                                                 preferred=preferred))
            order: list[str] = []
            best: dict[str, list] = {}
            for h in r.hits:
                seen = best.setdefault(h.doc.doc_id, [])
                if not seen:
                    order.append(h.doc.doc_id)
                seen.append(h)
            if len(order) >= wanted and enough is None:
                enough = batch
            done = len(order) >= wanted and (batch >= enough * 4 or all(
                len(best[d]) >= min(snippets, counted.documents.get(d, 1)) for d in order[:wanted]))
            if done or batch >= min(WALK_MAX, counted.total):
                return order, best
            batch *= 5

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

    def _execute(self, tree, filters, notes, page, limit, sort, facets, documents: bool = False,
                 pivot: bool = False, parsed=None, q: str = "") -> "Executed":
        """Run the query; when it finds less than a page (``reading``), read
        it again: runs typed without spaces (政府采购) found nowhere as runs
        are looked for word by word; then the starts of words and typos;
        then paragraphs holding most of the query's weight after those
        holding all of it. A reading is kept only when it finds more, and a
        note says which."""
        literal = self._literal(tree, parsed)  # the words as typed, synonyms aside: ranked first

        def run(t, preferred=()):
            return self.engine.search(SearchRequest(t, filters, page, limit, sort, facets, self.time_limit,
                                                    documents, pivot, preferred=preferred + literal))

        result = run(tree)
        done = Executed(tree, result, preferred=literal)
        if tree is None or result.total >= reading.RELAX_BELOW:
            return done
        runs = querylang.sequences(tree)
        if runs:  # a run found rarely as its words: also where its characters stand as typed
            exact = querylang.exact_runs(tree)
            typed_literal, literal = literal, tuple(querylang.exact_runs(t) for t in literal)
            found = run(exact)
            if found.total > result.total:
                tree, result = exact, found
                done = Executed(tree, result, preferred=literal)
            else:  # not kept: the readings below prefer the words as typed, not their characters
                literal = typed_literal
        if runs and result.total < reading.RELAX_BELOW:  # its words anywhere, the runs first
            loose = querylang.loosen(tree)
            first = (tree,) if result.total else ()
            relaxed = run(loose, preferred=first)
            if relaxed.total > result.total:
                quoted = "、".join(f"“{r}”" for r in runs)
                said = (f"没有段落连续出现{quoted}，改为查找分别包含其中各词的段落。" if not result.total else
                        f"连续出现{quoted}的段落 {result.total} 段；以下 {relaxed.total - result.total} 段分别包含其中各词。")
                done = Executed(loose, relaxed, preferred=first + literal, notes=[said])
        counts = reading.Counts(self.engine, filters)
        typed = getattr(parsed, "typed", None)
        if typed == tree and len(tree.items) == 1 and not tree.exclude and not done.notes:
            counts.know(tree.items[0], result.total)  # the one word typed, as searched
        if done.result.total < reading.RELAX_BELOW and isinstance(typed, AllOf):
            again = reading.reread(typed, self.engine, counts, q)
            if again.replaced:
                scratch: list[str] = []
                reread_tree = self._resolve(reading.replace_items(typed, again.replaced), scratch,
                                            getattr(parsed, "synonyms", True))
                better = run(reread_tree)
                if better.total > done.result.total or (better.total == done.result.total and not better.total):
                    done = Executed(reread_tree, better, preferred=literal, links=again.links, notes=again.notes)
        if done.result.total < reading.RELAX_BELOW and isinstance(done.tree, AllOf):
            def total():  # every paragraph, for the idf
                return self.engine.search(SearchRequest(None, Filters(), 1, 0, facets=False)).total
            loosened = reading.partial(done.tree, counts, total)
            if loosened is not None:
                loose, rarest = loosened
                wider = run(loose, preferred=(done.tree,))
                if wider.total > done.result.total:
                    strict = done.result.total
                    done = Executed(loose, wider, preferred=(done.tree,) + literal, links=done.links, notes=done.notes + [
                        f"含全部检索词的段落 {strict} 段；以下 {wider.total - strict} 段只含部分检索词"
                        f"（都含“{rarest}”，按词的稀有程度放宽），分面计数包括两者。"])
        notes.extend(done.notes)
        return done

    def _plan(self, q: str, opts: Options):
        """(query tree, filters, notes, parsed query); the parsed query is
        ``None`` when there is nothing to search for (the notes then say so)."""
        if opts.sort not in SORTS:
            raise BadRequest(f"sort must be one of {', '.join(SORTS)}")
        if opts.page < 1:
            raise BadRequest("page must be 1 or more")
        parsed = querylang.parse(q)
        notes = list(parsed.notes)
        filters = parsed.filters
        filters.district += [analysis.to_simplified(d) for d in opts.district if d]
        filters.domain += [analysis.to_simplified(d) for d in opts.domain if d]
        for y in opts.year:
            if not y:
                continue
            span = querylang.parse_year(str(y))
            if span is None:
                raise BadRequest(f"year must look like 2020 or 2018-2021, not {y!r}")
            filters.year.append(span)
        filters.district = self._known("district", filters.district, canonical_district, notes)
        filters.domain = self._known("domain", filters.domain, canonical_domain, notes)

        tree = parsed.tree
        parsed.places = []
        if tree is not None:
            tree, removed = understand.set_aside_fillers(tree)
            if removed:
                notes.append(understand.fillers_note(removed))
            tree = self._pinyin(tree, notes)
            tree = self._places(tree, filters, notes, parsed)
            parsed.typed = tree
            parsed.synonyms = opts.synonyms
            # the words as typed, a word the index lacks read as its parts:
            # kept for _literal, so the engine is asked about the words once
            parsed.literal = self._fallback_to_parts(tree, notes)
            tree = self._aliased(parsed.literal, notes) if opts.synonyms else parsed.literal
        if tree is None or (not tree.items and not tree.exclude):
            if filters.is_empty():
                if not notes:
                    notes.append("请输入检索词，例如：放管服、营商环境、强区放权。")
                return None, filters, notes, None
            tree = None  # browse by filters alone
        return tree, filters, notes, parsed

    def _known(self, facet: str, values: list[str], canonical, notes: list[str]) -> list[str]:
        """Each typed value as the index holds it (龙华 → 龙华区); a value no
        vocabulary knows stays, so it matches what it says (nothing, or a
        value a sidecar gave), and a note lists the values there are."""
        out, there = [], None
        for value in values:
            known = canonical(value)
            if known is None:
                there = there if there is not None else self.engine.facet_values(facet)
                if value not in there:
                    choices = TAXONOMY if facet == "domain" else there
                    label = "改革领域" if facet == "domain" else "地区"
                    notes.append(f"没有名为“{value}”的{label}；可选：{'、'.join(choices) or '（索引中没有）'}。")
                known = value
            out.append(known)
        return list(dict.fromkeys(out))

    def _empty(self, q, opts, notes):
        return {"query": q, "total": 0, "page": opts.page, "limit": opts.limit, "hits": [],
                "facets": empty_counts(), "notes": notes}

    def _literal(self, tree, parsed) -> tuple:
        """``(the query without its synonyms,)`` when synonyms were added,
        else ``()``: its paragraphs rank above those holding only a synonym."""
        literal = getattr(parsed, "literal", None)  # set by _plan with the typed tree
        if not isinstance(tree, AllOf) or not isinstance(literal, AllOf) or not getattr(parsed, "synonyms", True):
            return ()
        return (literal,) if literal != tree and literal.items else ()

    def _pinyin(self, tree: AllOf, notes: list[str]) -> AllOf:
        """Pinyin typed for words (fangguanfu, zhengfu caigou, xzfy) read as
        the Chinese word it spells that the index holds most often; a word
        the index holds as typed (an English word in a text) stays."""
        typed = [i for i in tree.items if isinstance(i, Term) and pinyin.looks_like_pinyin(i.text)]
        if not typed:
            return tree
        known = self.engine.known_terms([i.text for i in typed])
        groups: list[list[Term]] = []  # runs of pinyin words: fang guan fu is one word
        for item in tree.items:
            if item in typed and item.text not in known and groups and groups[-1] and groups[-1][-1] is not None \
                    and tree.items.index(item) == tree.items.index(groups[-1][-1]) + 1:
                groups[-1].append(item)
            elif item in typed and item.text not in known:
                groups.append([item])
        replaced: dict = {}
        table = pinyin.table()
        for group in groups:
            for parts in ([group] if len(group) == 1 else [group] + [[g] for g in group]):
                text = "".join(p.text for p in parts)
                spellings = [table.words(text)] if table.words(text) else \
                    [table.words(piece) for piece in (table.split(text) or [])]
                chosen = [self._most_found(options[:6]) for options in spellings]
                if not chosen or None in chosen:
                    continue
                node = querylang.parse(" ".join(chosen)).tree
                if node is None:
                    continue
                replaced[parts[0]] = node.items[0] if len(node.items) == 1 else AllOf(node.items)
                for p in parts[1:]:
                    replaced[p] = None
                notes.append(f"拼音“{' '.join(p.text for p in parts)}”按“{''.join(chosen)}”检索。")
                break
        if not replaced:
            return tree
        items = tuple(replaced.get(i, i) for i in tree.items if replaced.get(i, i) is not None)
        return AllOf(items, tree.exclude, tree.sequence)

    def _most_found(self, words: list[str]) -> str | None:
        """Of a pinyin spelling's words, the one the index holds most often."""
        known = self.engine.known_terms([w for w in words if len(analysis.words(w)) == 1])
        counted = [(self.engine.search(SearchRequest(querylang.parse(w).tree, Filters(), 1, 0, facets=False)).total, w)
                   for w in words if w in known or len(analysis.words(w)) > 1]
        counted = [(n, w) for n, w in counted if n]
        return max(counted)[1] if counted else None

    def _places(self, tree: AllOf, filters: Filters, notes: list[str], parsed) -> AllOf:
        """A district typed among the words (放管服 龙华) filters by that
        district, when the word as a word finds less than a page and the
        filter finds more; the page shows it as a chip to remove."""
        if filters.district or len(tree.items) < 2:
            return tree
        for item in tree.items:
            district = canonical_district(item.text) if isinstance(item, Term) else None
            if district is None:
                continue
            rest = AllOf(tuple(i for i in tree.items if i != item), tree.exclude)
            scratch: list[str] = []
            as_word = self.engine.search(SearchRequest(self._resolve(tree, scratch), filters, 1, 0,
                                                       facets=False)).total
            if as_word >= reading.RELAX_BELOW:
                continue
            narrowed = Filters(filters.district + [district], list(filters.year), list(filters.domain))
            as_place = self.engine.search(SearchRequest(self._resolve(rest, scratch), narrowed, 1, 0,
                                                        facets=False)).total
            if as_place > as_word:
                filters.district.append(district)
                parsed.places.append({"word": item.text, "district": district})
                notes.append(f"“{item.text}”按地区筛选：{district}（去掉“{item.text}”即在全部地区中检索）。")
                return rest
        return tree

    def _resolve(self, tree, notes, synonyms: bool = True):
        """Parts only for what the user typed; aliases add whole words only."""
        tree = self._fallback_to_parts(tree, notes)
        return self._aliased(tree, notes) if synonyms else tree

    @staticmethod
    def _aliased(tree, notes):
        return querylang.expand_aliases(tree, querylang.load_aliases(), notes)

    def _fallback_to_parts(self, node, notes, known: set[str] | None = None):
        if known is None:  # one question to the engine for every word of the query
            known = self.engine.known_terms(iter_terms(node))
        if isinstance(node, Term):
            if node.text in known:
                return node
            parts = self._cover(node.text)
            if parts:
                notes.append(f"索引中没有“{node.text}”这个词，改为匹配连续出现的组成部分：{'、'.join(parts)}。")
                return Phrase(parts)
            return node
        if isinstance(node, AnyOf):
            return AnyOf(tuple(self._fallback_to_parts(i, notes, known) for i in node.items))
        if isinstance(node, AllOf):
            return AllOf(tuple(self._fallback_to_parts(i, notes, known) for i in node.items), node.exclude,
                         node.sequence)
        return node

    def _cover(self, word: str) -> tuple[str, ...]:
        """The word as consecutive pieces the index knows, longest first; empty
        when no such cover exists (then the word simply has no match)."""
        if len(word) < 3:
            return ()
        candidates = {word[i:i + size] for i in range(len(word)) for size in range(1, 5) if i + size <= len(word)}
        known = self.engine.known_terms(candidates - {word})
        pieces: list[str] = []
        i = 0
        while i < len(word):
            for size in range(min(len(word) - i, 4), 0, -1):
                piece = word[i:i + size]
                if piece != word and (size > 1 or not pieces or i == len(word) - 1) and piece in known:
                    pieces.append(piece)
                    i += size
                    break
            else:
                return ()
        return tuple(pieces) if len(pieces) > 1 else ()

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
        }
        if words is not None:
            spans = highlight.match_spans(chunk.text, words, chunk.tokens)
            row["spans"] = [list(s) for s in spans]
            row["window"] = list(highlight.window(chunk.text, spans))
            row["section_spans"] = _path_spans(chunk, words, {} if path_spans is None else path_spans)
        return row

    def _suggestions(self, q: str, tree, filters: Filters, parsed) -> list[dict]:
        """What to try when nothing matched, each as a note and the queries it
        names (``links``: label, query, whether without the filters), so a
        page can make them links. A spelling is suggested only if the index
        has it and the dictionary knows it as a word: a fragment the
        segmenter cut out of a longer name (区发改局 → 区发 / 改局) is never
        offered as a word."""
        out = []
        if not filters.is_empty() and tree is not None:
            unfiltered = self.engine.search(SearchRequest(tree, Filters(), 1, 0, facets=False))
            if unfiltered.total:
                out.append({"note": f"加上筛选条件后没有结果；去掉筛选条件可找到 {unfiltered.total} 条。",
                            "links": [{"label": "去掉筛选条件", "q": q, "unfiltered": True}]})
        if tree is not None and len(tree.items) > 1:
            for i, item in enumerate(tree.items):
                rest = AllOf(tree.items[:i] + tree.items[i + 1:], tree.exclude)
                n = self.engine.search(SearchRequest(rest, filters, 1, 0, facets=False)).total
                if n:
                    dropped = _typed_label(item)
                    out.append({"note": f"去掉“{dropped}”可找到 {n} 条。",
                                "links": [{"label": f"去掉“{dropped}”", "q": without(q, dropped),
                                           "unfiltered": False}]})
                    break
        # a run typed as one (营商坏境) is looked up whole first, then each
        # word the index does not have
        runs = querylang.sequences(tree) if tree is not None else []
        runs += [r for r in _quoted_runs(tree) if r not in runs]  # a quoted typo ("营商坏境") too
        known = self.engine.known_terms(list(parsed.words) + runs)
        offered: set[str] = set()
        covered: set[str] = set()
        for typed in runs + [w for w in parsed.words if w not in known]:
            if typed in known or typed in covered:
                continue
            candidates = lexicon().one_character_away(typed)[:12]
            there = self.engine.known_terms(candidates) if candidates else set()
            similar = [w for w in candidates if w in there and w not in offered][:3]
            if not similar:
                continue
            offered.update(similar)
            if typed in runs:  # its words are answered by the run's suggestion
                covered.update(w for w in parsed.words if w in typed)
            out.append({"note": f"索引中没有“{typed}”，您是不是要找：{'、'.join(similar)}？",
                        "links": [{"label": w, "q": _replaced(q, typed, w), "unfiltered": False} for w in similar]})
        if not out:
            out.append({"note": "没有找到匹配的段落；试试更短或更常见的词。", "links": []})
        return out

    # -------------------------------------------------------------- document
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
            parsed = querylang.parse(q)
            if parsed.tree is not None:
                words = highlight.Marks.of(self._resolve(parsed.tree, []))
        paragraphs = []
        path_spans: dict = {}
        for c in doc.chunks:
            spans = highlight.match_spans(c.text, words, c.tokens)
            paragraphs.append({
                "chunk_id": c.chunk_id, "paragraph": c.paragraph, "part": c.part,
                "section": c.section, "section_path": c.section_path,
                "section_spans": _path_spans(c, words, path_spans), "domains": c.domains,
                "text": c.text, "spans": [list(s) for s in spans], "matches": len(spans),
            })
        return {"doc_id": doc.doc_id, "title": doc.title, "source": doc.source, "url": doc.url,
                "district": doc.district,
                "year": doc.year, "date": doc.date, "date_source": doc.date_source, "paragraphs": paragraphs,
                "paragraph_count": doc.paragraph_count, "first": first,
                "last": min(last or doc.paragraph_count, doc.paragraph_count)}


@dataclass
class Executed:
    """A query as run: the tree that answered (the typed one, or a reading
    of it), the engine's result, the tree whose paragraphs rank first (a
    partial answer's strict part) and the links that undo a correction."""

    tree: object
    result: object
    preferred: tuple = ()
    links: list = field(default_factory=list)
    notes: list = field(default_factory=list)  # what the reading says of itself


def _path_spans(chunk, marks, seen: dict) -> list[list[int]]:
    """Where the marks fall in the joined heading path, from the path's kept
    tokens (no token spans the separator, so each heading is marked alone)."""
    key = tuple(chunk.section_path)
    if key not in seen:
        text = chunk.section_text
        seen[key] = [list(s) for s in highlight.match_spans(text, marks, chunk.section_tokens)] if text else []
    return seen[key]


def _replaced(q: str, typed: str, word: str) -> str:
    """The query with what was typed (in either script) replaced by ``word``."""
    simp = analysis.to_simplified(q)
    at = simp.find(typed)
    if at < 0:
        return word
    base = q if len(simp) == len(q) else simp
    return base[:at] + word + base[at + len(typed):]


def _quoted_runs(tree) -> list[str]:
    """The text of each quoted phrase of several words in a tree."""
    if tree is None:
        return []
    return ["".join(i.words) for i in tree.items if isinstance(i, Phrase) and len(i.words) > 1]


def _typed_label(node) -> str:
    """What the user typed for a query node: a word, a run, a quoted phrase,
    or (an alias group) the word its synonyms were added to."""
    if isinstance(node, Term):
        return node.text
    if isinstance(node, Phrase):
        return "".join(node.words)
    if isinstance(node, AnyOf):
        return _typed_label(node.items[0])
    if isinstance(node, AllOf) and node.sequence:
        return "".join(_typed_label(i) for i in node.items)
    return " ".join(_typed_label(i) for i in node.items)


def without(q: str, dropped: str) -> str:
    """The query without one of its parts (its quotes too)."""
    simp = analysis.to_simplified(q)
    base = q if len(simp) == len(q) else simp
    for form in (f'"{dropped}"', f"“{dropped}”", dropped):
        at = simp.find(form)
        if at >= 0:
            return " ".join((base[:at] + base[at + len(form):]).split())
    return q


def _sorted_counts(counts: dict[str, int]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
