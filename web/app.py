"""The Flask application: pages and a JSON API over ``search.service``.

``create_app`` receives what it needs (an opened ``SearchService`` or an index
folder) so tests build an app on a tiny index and the server opens the index
once per process. The app never writes: every route reads.
"""
from __future__ import annotations

import csv
import io
import json
import math
import os
import re
from pathlib import Path

from flask import Flask, Response, abort, jsonify, render_template, request
from markupsafe import Markup

from search import present

from search.engine import EngineUnavailable, IndexDamaged, IndexMissing
from search.service import BadRequest, SearchService
from search.engine import open_engine

from .chart import bar_chart
from .state import FACETS, MAX_PAGE, SearchState, chips, facet_records

DOC_ID = re.compile(r"^[0-9a-f]{16}$")
READ_METHODS = ("GET", "HEAD")
EXPORT_FORMATS = ("csv", "json")
EXPORT_COLUMNS = ["doc_id", "chunk_id", "title", "source", "paragraph", "section", "district", "year",
                  "date", "domains", "score", "text"]
DOC_PAGE_PARAGRAPHS = 200  # one request renders at most this many paragraphs of a document
EXAMPLES = ["放管服", "营商环境", "强区放权", "“一网通办”", "城中村 district:龙华区"]


def create_app(service: SearchService | None = None, index: str | Path | None = None,
               time_limit: float | None = None) -> Flask:
    """``time_limit``: seconds per search (None: none). ``search-web`` passes
    its ``--time-limit``; build a server's app with ``web.cli.make_app``."""
    app = Flask(__name__)
    app.config["JSON_AS_ASCII"] = False
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    if service is None:
        service = SearchService(open_engine(index), time_limit=time_limit)
    app.extensions["search_service"] = service

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
        return resp

    # ------------------------------------------------------------ pages
    @app.get("/")
    def index_page():
        state, errors = SearchState.from_args(request.args)
        if state.is_empty():
            return render_template("index.html", state=state, errors=errors, result=None,
                                   examples=EXAMPLES, stats=_stats(service)), 400 if errors else 200
        try:
            result = service.search(state.q, state.options())
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
        at = request.args.get("at", "1")
        at = int(at) if at.isdigit() and len(at) < 9 else 1
        doc = service.document(doc_id, q, at=at, per_page=DOC_PAGE_PARAGRAPHS)
        if doc is None:
            abort(404)
        back = SearchState.from_args(request.args)[0]
        here = f"/doc/{doc_id}"
        block = {"prev": back.url(here, at=doc["first"] - DOC_PAGE_PARAGRAPHS) if doc["first"] > 1 else None,
                 "next": back.url(here, at=doc["last"] + 1) if doc["last"] < doc["paragraph_count"] else None}
        return render_template("doc.html", doc=doc, q=q, block=block,
                               back_url=back.url() if not back.is_empty() else "/")

    # ------------------------------------------------------------ API
    @app.get("/api/search")
    def api_search():
        state, errors = SearchState.from_args(request.args)
        if errors:
            return _json_error(" ".join(errors))
        try:
            return jsonify(present.contract(service.search(state.q, state.options())))
        except BadRequest as exc:
            return _json_error(str(exc))

    @app.get("/api/export")
    def api_export():
        state, errors = SearchState.from_args(request.args)
        fmt = request.args.get("format", "csv")
        if fmt not in EXPORT_FORMATS:
            errors.append(f"format 只能是 {' 或 '.join(EXPORT_FORMATS)}。")
        if errors:
            return _json_error(" ".join(errors))
        try:
            data = service.export(state.q, state.options())
        except BadRequest as exc:
            return _json_error(str(exc))
        name = "reform-search-export"
        if fmt == "json":
            body = json.dumps(data, ensure_ascii=False, indent=1)
            return Response(body, mimetype="application/json",
                            headers={"Content-Disposition": f'attachment; filename="{name}.json"'})
        buf = io.StringIO()
        buf.write("\ufeff")  # a spreadsheet then reads UTF-8, not the locale's code page
        writer = csv.writer(buf)
        writer.writerow(EXPORT_COLUMNS)
        for row in data["rows"]:
            writer.writerow([_csv_cell("、".join(row[c]) if c == "domains" else row[c]) for c in EXPORT_COLUMNS])
        return Response(buf.getvalue(), mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"',
                                 "X-Total-Count": str(data["total"]),
                                 "X-Truncated": "1" if data["truncated"] else "0"})

    @app.get("/healthz")
    def healthz():
        # an engine on a server says how the server is (OpenSearch: the
        # cluster's status and nodes), reachable or not
        server = service.engine.health() if hasattr(service.engine, "health") else {}
        try:
            stats = service.engine.stats()
        except Exception as exc:  # the index went missing or unreadable
            return jsonify({"status": "error", "error": str(exc) or type(exc).__name__, **server}), 503
        return jsonify({"status": "ok", **stats, **server, "worker": os.getpid()})

    # ------------------------------------------------------------ errors
    def error(status: int, api_message: str, title: str, message: str):
        """The API's JSON error or the page's error page, same status."""
        if request.path.startswith("/api/"):
            return jsonify({"error": api_message}), status
        return render_template("error.html", title=title, message=message), status

    @app.errorhandler(404)
    def not_found(_):
        return error(404, "not found", "找不到这个页面", "链接可能有误，或文档已不在索引中。")

    @app.errorhandler(IndexMissing)
    def no_index(exc):
        return error(503, f"索引不存在：{exc}", "还没有索引", "请先运行 search-index 建立索引，再刷新本页。")

    @app.errorhandler(EngineUnavailable)
    def server_unavailable(exc):
        return error(503, f"搜索服务器暂时无法回答：{exc}", "搜索服务器暂时无法回答",
                     "索引所在的搜索集群没有回答，请稍后再试；问题持续时请联系管理员。")

    @app.errorhandler(IndexDamaged)
    def damaged_index(exc):
        return error(503, f"索引已损坏：{exc}；请运行 search-index --rebuild 重建", "索引已损坏",
                     "请运行 search-index --rebuild 重建索引，再刷新本页。")

    @app.errorhandler(500)
    def server_error(_):
        return error(500, "internal error", "出错了", "服务器处理这次检索时出错，请稍后重试。")

    app.jinja_env.globals["FACETS"] = FACETS
    # marks rendered here, from the answer's offsets (HTML-escaped text)
    app.jinja_env.globals["excerpt"] = lambda hit: Markup(present.excerpt(hit))
    app.jinja_env.globals["heading_path"] = lambda item: Markup(present.heading_path(item))
    app.jinja_env.globals["marked"] = lambda text, spans: Markup(present.marked(text, spans))
    return app


def _json_error(message: str, status: int = 400):
    return jsonify({"error": message}), status


def _csv_cell(value):
    """A cell a spreadsheet shows as text, never runs as a formula."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _stats(service: SearchService) -> dict | None:
    try:
        return service.engine.stats()
    except Exception:
        return None


def _results_view(state: SearchState, result: dict) -> dict:
    """What the results template needs beyond the contract object: URLs,
    facet records, chips, charts, pages."""
    hits = []
    for h in result["hits"]:
        doc_state = state.at_page(1)
        doc_url = doc_state.url(f"/doc/{h['doc_id']}", at=h["paragraph"])
        hits.append({**h, "doc_url": doc_url + f"#p{h['paragraph']}"})
    facets = facet_records(state, result["facets"])
    years = sorted((y, c) for y, c in result["facets"].get("year", {}).items())
    year_chart = bar_chart([(y, c, state.toggle("year", y).url()) for y, c in years], "每年匹配段落数")
    districts = list(result["facets"].get("district", {}).items())[:12]
    district_chart = bar_chart([(d, c, state.toggle("district", d).url()) for d, c in districts], "各地区匹配段落数")
    pages = min(MAX_PAGE, max(1, math.ceil(result["total"] / state.limit))) if result["total"] else 1
    window = range(max(1, state.page - 3), min(pages, state.page + 3) + 1)
    paging = {
        "pages": pages,
        "prev": state.at_page(state.page - 1).url() if state.page > 1 else None,
        "next": state.at_page(state.page + 1).url() if state.page < pages else None,
        "numbers": [(p, state.at_page(p).url(), p == state.page) for p in window],
    }
    sorts = [(s, label, state.sorted_by(s).url(), state.sort == s)
             for s, label in (("relevance", "相关度"), ("date", "最新"), ("date-asc", "最早"))]
    export = {fmt: state.at_page(1).url("/api/export", format=fmt) for fmt in EXPORT_FORMATS}
    return {"hits": hits, "facets": facets, "chips": chips(state), "year_chart": year_chart,
            "district_chart": district_chart, "paging": paging, "sorts": sorts, "export": export}
