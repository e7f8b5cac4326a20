"""The Flask application: pages and a JSON API over ``search.service``.

``create_app`` receives what it needs (an opened ``SearchService`` or an index
folder) so tests build an app on a tiny index and the server opens the index
once per process. The app never writes: every route reads.
"""
from __future__ import annotations

import math
import os
import re
import time
from pathlib import Path

from flask import Flask, Response, abort, g, jsonify, render_template, request
from markupsafe import Markup, escape

from search import export, present
from search.engine import FACETS
from search.engines import Settings, open_engine
from search.errors import EngineUnavailable, IndexDamaged, IndexFromAnotherVersion, IndexMissing
from search.service import BadRequest, SearchService, without
from search.text import ascii_int

from . import chart
from .state import MAX_PAGE, SearchState, chips, facet_records

DOC_ID = re.compile(r"^[0-9a-f]{16}$")
READ_METHODS = ("GET", "HEAD")
DOC_PAGE_PARAGRAPHS = 200  # one request renders at most this many paragraphs of a document
EXAMPLES = ["放管服", "营商环境", "强区放权", "“一网通办”", "城中村 district:龙华区"]


def create_app(service: SearchService | None = None, index: str | Path | None = None,
               time_limit: float | None = None, settings: Settings | None = None) -> Flask:
    """``time_limit``: seconds per search (None: none). ``search-web`` passes
    its ``--time-limit`` and the engines' options (``settings``); build a
    server's app with ``web.cli.make_app``."""
    app = Flask(__name__)
    app.config["JSON_AS_ASCII"] = False
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    if service is None:
        service = SearchService(open_engine(index, settings=settings), time_limit=time_limit, settings=settings)

    @app.before_request
    def start_clock():
        g.started = time.perf_counter()

    @app.before_request
    def only_reads():
        # Flask answers OPTIONS itself and a POST to a GET route without an
        # Allow header; this server reads, so anything but GET/HEAD is 405.
        if request.method not in READ_METHODS:
            resp = jsonify({"error": "this server only reads: use GET"})
            resp.status_code = 405
            resp.headers["Allow"] = ", ".join(READ_METHODS)
            return resp
        return None

    @app.after_request
    def security_headers(resp: Response) -> Response:
        # Nothing but our own files: no CDN, no inline script, no framing.
        resp.headers.setdefault("Content-Security-Policy",
                                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        if "started" in g:  # the server's own time, for the browser's devtools and the benchmark
            resp.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - g.started) * 1000:.1f}"
        return resp

    # ------------------------------------------------------------ pages
    @app.get("/")
    def index_page():
        state, errors = SearchState.from_args(request.args)
        if state.is_empty():
            return render_template("index.html", state=state, errors=errors, result=None,
                                   examples=EXAMPLES, stats=_stats(service)), 400 if errors else 200
        try:
            if state.view == "documents":
                result = service.by_document(state.q, state.options(), pivot=True)
            else:
                result = service.search(state.q, state.options(), pivot=True)
        except BadRequest as exc:
            errors.append(str(exc))
            return render_template("index.html", state=state, errors=errors, result=None,
                                   examples=EXAMPLES, stats=None), 400
        view = _results_view(state, result)
        return render_template("index.html", state=state, errors=errors, result=result, examples=EXAMPLES,
                               stats=None, **view), 400 if errors else 200

    @app.get("/doc/<doc_id>")
    def document_page(doc_id: str):
        if not DOC_ID.match(doc_id):
            abort(404)
        q = (request.args.get("q") or "")[:1000]
        at = ascii_int(request.args.get("at", "1"))
        at = at if at is not None and at < 10 ** 8 else 1
        doc = service.document(doc_id, q, at=at, per_page=DOC_PAGE_PARAGRAPHS)
        if doc is None:
            abort(404)
        back = SearchState.from_args(request.args)[0]
        here = f"/doc/{doc_id}"
        block = {"prev": back.url(here, at=doc["first"] - DOC_PAGE_PARAGRAPHS) if doc["first"] > 1 else None,
                 "next": back.url(here, at=doc["last"] + 1) if doc["last"] < doc["paragraph_count"] else None}
        for p in doc["paragraphs"]:
            p["anchor"], p["heading_anchor"] = _anchor("p", p), _anchor("s", p)
        matched = [p for p in doc["paragraphs"] if p["matches"]]
        at_paragraph = next((p for p in doc["paragraphs"] if p["paragraph"] == at), None) \
            if "at" in request.args else None
        at_citation = present.citation({**doc, "paragraph": at}) if at_paragraph else None
        return render_template("doc.html", doc=doc, q=q, block=block, toc=_table_of_contents(doc["paragraphs"]),
                               matched=matched, at=at, doc_citation=present.citation(doc),
                               at_citation=at_citation, back_url=back.url() if not back.is_empty() else "/")

    @app.get("/favicon.ico")
    def favicon():
        # what a browser asks for before it reads the page's <link rel=icon>
        return app.send_static_file("favicon.svg")

    # ------------------------------------------------------------ API
    def answer_json(answer):
        """``answer(state)`` as JSON; a bad parameter is a 400 with its message."""
        state, errors = SearchState.from_args(request.args)
        if errors:
            return _json_error(" ".join(errors))
        try:
            return jsonify(answer(state))
        except BadRequest as exc:
            return _json_error(str(exc))

    @app.get("/api/search")
    def api_search():
        return answer_json(lambda state: present.contract(service.search(state.q, state.options())))

    @app.get("/api/export")
    def api_export():
        state, errors = SearchState.from_args(request.args)
        fmt = request.args.get("format", "csv")
        lang = request.args.get("lang", "en")
        if fmt not in export.FORMATS:
            errors.append(f"format 只能是 {' 或 '.join(export.FORMATS)}。")
        if lang not in export.LANGS:
            errors.append(f"lang 只能是 {' 或 '.join(export.LANGS)}。")
        if errors:
            return _json_error(" ".join(errors))
        try:
            data = service.export(state.q, state.options())
        except BadRequest as exc:
            return _json_error(str(exc))
        name = "reform-search-export"
        return Response(export.render(data, fmt, lang), content_type=export.MEDIA_TYPES[fmt],
                        headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"',
                                 "X-Total-Count": str(data["total"]),
                                 "X-Truncated": "1" if data["truncated"] else "0"})

    @app.get("/api/documents")
    def api_documents():
        """The by-document view as JSON (``search --by-document --json``)."""
        return answer_json(lambda state: present.grouped(service.by_document(state.q, state.options())))

    @app.get("/healthz")
    def healthz():
        # an engine on a server says how the server is, reachable or not
        server = service.engine.health()
        try:
            stats = service.engine.stats()
        except Exception as exc:  # the index went missing or unreadable
            return jsonify({"status": "error", "error": str(exc) or type(exc).__name__, **server}), 503
        return jsonify({"status": "ok", **stats, **server, "engine": service.engine.NAME, "worker": os.getpid()})

    # ------------------------------------------------------------ errors
    def error(status: int, api_message: str, title: str, message: str):
        """The API's JSON error or the page's error page, same status."""
        if request.path.startswith("/api/"):
            return jsonify({"error": api_message}), status
        return render_template("error.html", title=title, message=message), status

    @app.errorhandler(404)
    def not_found(_):
        return error(404, "not found", "找不到这个页面", "链接可能有误，或文档已不在索引中。")

    def unavailable(exc: Exception) -> None:
        """One line in the server's log per request the index could not
        answer (the page says it to the reader; the log, to the operator)."""
        app.logger.warning("%s %s -> 503: %s", request.method, request.full_path.rstrip("?")[:200], exc)

    @app.errorhandler(IndexMissing)
    def no_index(exc):
        unavailable(exc)
        return error(503, f"索引不存在：{exc}", "还没有索引", "请先运行 search-index 建立索引，再刷新本页。")

    @app.errorhandler(EngineUnavailable)
    def server_unavailable(exc):
        unavailable(exc)
        return error(503, f"搜索服务器暂时无法回答：{exc}", "搜索服务器暂时无法回答",
                     "索引所在的搜索集群没有回答，请稍后再试；问题持续时请联系管理员。")

    @app.errorhandler(IndexFromAnotherVersion)
    def index_from_another_version(exc):
        unavailable(exc)
        return error(503, f"索引由其他版本生成：{exc}；请运行 search-index --rebuild 重建", "索引需要重建",
                     "索引由另一个版本的 reform-search 生成，本版本读不了；请运行 search-index --rebuild 重建索引，再刷新本页。")

    @app.errorhandler(IndexDamaged)
    def damaged_index(exc):
        unavailable(exc)
        return error(503, f"索引已损坏：{exc}；请运行 search-index --rebuild 重建", "索引已损坏",
                     "请运行 search-index --rebuild 重建索引，再刷新本页。")

    @app.errorhandler(500)
    def server_error(_):
        return error(500, "internal error", "出错了", "服务器处理这次检索时出错，请稍后重试。")

    app.jinja_env.globals["FACETS"] = FACETS
    app.jinja_env.globals["date_source"] = present.date_source
    # marks rendered here, from the answer's offsets (HTML-escaped text)
    app.jinja_env.globals["excerpt"] = lambda hit: Markup(present.excerpt(hit))
    app.jinja_env.globals["heading_path"] = lambda item: Markup(present.heading_path(item))
    app.jinja_env.globals["marked"] = lambda text, spans: Markup(present.marked(text, spans))
    return app


def _json_error(message: str, status: int = 400):
    return jsonify({"error": message}), status


def _anchor(kind: str, paragraph: dict) -> str:
    """A paragraph's (``p``) or the heading above it's (``s``) id on the
    document page: its number, and its part when a long one was split."""
    return f"{kind}{paragraph['paragraph']}" + (f"-{paragraph['part']}" if paragraph["part"] > 1 else "")


def _table_of_contents(paragraphs: list[dict]) -> list[dict]:
    """Each heading where it first heads a paragraph, at its depth in the
    heading path: the document's outline, linked to the heading's place."""
    seen: set[tuple] = set()
    out = []
    for p in paragraphs:
        path = tuple(p["section_path"])
        for depth in range(1, len(path) + 1):
            if path[:depth] in seen:
                continue
            seen.add(path[:depth])
            # a heading new here means the path changed here: the page shows
            # the path above this paragraph, with this anchor
            out.append({"title": path[depth - 1], "level": min(depth, 4),
                        "anchor": p["heading_anchor"]})
    return out


def _stats(service: SearchService) -> dict | None:
    try:
        return service.engine.stats()
    except Exception:
        return None


FACET_SHOWN = 10  # values listed before "更多"
COMPARED = 5  # districts the comparison chart shows when fewer than two are selected


def _results_view(state: SearchState, result: dict) -> dict:
    """What the results template needs beyond the answer: URLs, facet
    records in the view's unit, chips, charts, pages, linked suggestions."""
    documents = state.view == "documents"
    unit = "篇" if documents else "段"
    counts = result["document_facets"] if documents else result["facets"]
    hits = [_hit_view(state, h) for h in result.get("hits", [])]
    groups = []
    for group in result.get("groups", []):
        doc_url = state.at_page(1).viewed_as("paragraphs").url(f"/doc/{group['doc_id']}")
        groups.append({**group, "doc_url": doc_url, "hits": [_hit_view(state, h) for h in group["hits"]],
                       "citation": present.citation(group)})
    facets = facet_records(state, counts)
    timeline = chart.timeline(counts.get("year", {}), lambda y: state.toggle("year", str(y)).url(),
                              f"每年匹配{'文档' if documents else '段落'}数", unit)
    districts = list(counts.get("district", {}).items())
    compared = list(state.district) if len(state.district) >= 2 else \
        list(dict.fromkeys(list(state.district) + [d for d, _ in districts]))[:COMPARED]
    comparison = Markup("")
    if len(compared) >= 2 and result["total"]:
        per_year = result.get("district_years") or {}
        comparison = chart.comparison([(d, per_year.get(d, {}), state.toggle("district", d).url())
                                       for d in compared], "各地区逐年对比", unit)
    shown_total = result["documents"] if documents else result["total"]
    pages = min(MAX_PAGE, max(1, math.ceil(shown_total / state.limit))) if shown_total else 1
    window = range(max(1, state.page - 3), min(pages, state.page + 3) + 1)
    paging = {
        "pages": pages,
        "first": state.at_page(1).url() if state.page > 1 else None,
        "last": state.at_page(pages).url() if state.page < pages else None,
        "prev": state.at_page(min(state.page, pages + 1) - 1).url() if state.page > 1 else None,
        "next": state.at_page(state.page + 1).url() if state.page < pages else None,
        "numbers": [(p, state.at_page(p).url(), p == state.page) for p in window],
        "past_end": bool(shown_total) and state.page > pages,
        "last_url": state.at_page(pages).url(),
    }
    sorts = [(s, label, state.sorted_by(s).url(), state.sort == s)
             for s, label in (("relevance", "相关度"), ("date", "最新"), ("date-asc", "最早"))]
    views = [(v, label, state.viewed_as(v).url(), state.view == v)
             for v, label in (("paragraphs", "按段落"), ("documents", "按文档"))]
    downloads = {fmt: state.at_page(1).viewed_as("paragraphs").url("/api/export", format=fmt, lang="zh")
                 for fmt in export.FORMATS}
    notes = _linked_notes(state, result)
    return {"hits": hits, "groups": groups, "facets": facets, "facet_shown": FACET_SHOWN, "unit": unit,
            "chips": chips(state) + _place_chips(state, result), "timeline": timeline,
            "comparison": comparison, "compared": compared if comparison else [], "paging": paging,
            "sorts": sorts, "views": views, "export": downloads, "notes": notes, "shown_total": shown_total}


def _place_chips(state: SearchState, result: dict) -> list[dict]:
    """A district typed among the words (放管服 龙华) became a filter: its chip
    removes the word from the query, and with it the filter."""
    return [{"facet": "地区", "value": p["district"], "remove_url": state.with_query(without(state.q, p["word"])).url()}
            for p in result.get("places", [])]


def _hit_view(state: SearchState, hit: dict) -> dict:
    doc_url = state.at_page(1).viewed_as("paragraphs").url(f"/doc/{hit['doc_id']}", at=hit["paragraph"])
    return {**hit, "doc_url": doc_url + f"#p{hit['paragraph']}", "citation": present.citation(hit)}


def _linked_notes(state: SearchState, result: dict) -> list[Markup]:
    """Each note as markup: a suggestion's words are links to the search it
    suggests (the same filters, or none where it says so)."""
    links = {x["note"]: x["links"] for x in result.get("suggestions", [])}
    out = []
    for note in result["notes"]:
        html = str(escape(note))
        for link in links.get(note, []):
            target = state.unfiltered() if link["unfiltered"] else state
            url = target.with_query(link["q"]).url()
            label = str(escape(link["label"]))
            html = html.replace(label, f'<a class="suggestion" href="{escape(url)}">{label}</a>', 1)
        out.append(Markup(html))
    return out
