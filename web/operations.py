"""What the server does around every request — read-only methods, security
headers, its own timing — its health for operators, and the errors: the
API's JSON or the page's error page, the same status, one log line per
request the index could not answer."""
from __future__ import annotations

import os
import time

from flask import Blueprint, Response, current_app, g, jsonify, render_template, request

from search.errors import EngineUnavailable, IndexDamaged, IndexFromAnotherVersion, IndexMissing

from .current import current_service

operations = Blueprint("operations", __name__)
READ_METHODS = ("GET", "HEAD")


@operations.before_app_request


def start_clock():
    g.started = time.perf_counter()


@operations.before_app_request


def only_reads():
    # Flask answers OPTIONS itself and a POST to a GET route without an
    # Allow header; this server reads, so anything but GET/HEAD is 405.
    if request.method not in READ_METHODS:
        resp = jsonify({"error": "this server only reads: use GET"})
        resp.status_code = 405
        resp.headers["Allow"] = ", ".join(READ_METHODS)
        return resp
    return None


@operations.after_app_request


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


@operations.get("/healthz")


def healthz():
    # an engine on a server says how the server is, reachable or not
    server = current_service().engine.health()
    try:
        stats = current_service().engine.stats()
    except Exception as exc:  # the index went missing or unreadable
        return jsonify({"status": "error", "error": str(exc) or type(exc).__name__, **server}), 503
    return jsonify({"status": "ok", **stats, **server, "engine": current_service().engine.NAME, "worker": os.getpid()})


def error(status: int, api_message: str, title: str, message: str):
    """The API's JSON error or the page's error page, same status."""
    if request.path.startswith("/api/"):
        return jsonify({"error": api_message}), status
    return render_template("error.html", title=title, message=message), status


@operations.app_errorhandler(404)


def not_found(_):
    return error(404, "not found", "找不到这个页面", "链接可能有误，或文档已不在索引中。")


def unavailable(exc: Exception) -> None:
    """One line in the server's log per request the index could not
    answer (the page says it to the reader; the log, to the operator)."""
    current_app.logger.warning("%s %s -> 503: %s", request.method, request.full_path.rstrip("?")[:200], exc)


@operations.app_errorhandler(IndexMissing)


def no_index(exc):
    unavailable(exc)
    return error(503, f"索引不存在：{exc}", "还没有索引", "请先运行 search-index 建立索引，再刷新本页。")


@operations.app_errorhandler(EngineUnavailable)


def server_unavailable(exc):
    unavailable(exc)
    return error(503, f"搜索服务器暂时无法回答：{exc}", "搜索服务器暂时无法回答",
                 "索引所在的搜索集群没有回答，请稍后再试；问题持续时请联系管理员。")


@operations.app_errorhandler(IndexFromAnotherVersion)


def index_from_another_version(exc):
    unavailable(exc)
    return error(503, f"索引由其他版本生成：{exc}；请运行 search-index --rebuild 重建", "索引需要重建",
                 "索引由另一个版本的 reform-search 生成，本版本读不了；请运行 search-index --rebuild 重建索引，再刷新本页。")


@operations.app_errorhandler(IndexDamaged)


def damaged_index(exc):
    unavailable(exc)
    return error(503, f"索引已损坏：{exc}；请运行 search-index --rebuild 重建", "索引已损坏",
                 "请运行 search-index --rebuild 重建索引，再刷新本页。")


@operations.app_errorhandler(500)


def server_error(_):
    return error(500, "internal error", "出错了", "服务器处理这次检索时出错，请稍后重试。")
