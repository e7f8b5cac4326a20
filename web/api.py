"""The JSON API: what the page shows, for scripts (the contract of
DESIGN.md), and the export of a whole answer."""
from __future__ import annotations

import re

from flask import Blueprint, Response, jsonify, request

from search import export, present
from search.service import BadRequest

from .current import current_service
from .state import SearchState

api = Blueprint("api", __name__)


def answer_json(answer):
    """``answer(state)`` as JSON; a bad parameter is a 400 with its message."""
    state, errors = SearchState.from_args(request.args)
    if errors:
        return _json_error(" ".join(errors))
    try:
        return jsonify(answer(state))
    except BadRequest as exc:
        return _json_error(str(exc))


@api.get("/api/search")


def api_search():
    return answer_json(lambda state: present.contract(current_service().search(state.q, state.options())))


@api.get("/api/export")


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
        data = current_service().export(state.q, state.options())
    except BadRequest as exc:
        return _json_error(str(exc))
    return Response(export.render(data, fmt, lang), content_type=export.MEDIA_TYPES[fmt],
                    headers={"Content-Disposition": _attachment(export.file_name(data, fmt), f"reform-search-export.{fmt}"),
                             "X-Total-Count": str(data["total"]),
                             "X-Truncated": "1" if data["truncated"] else "0"})


def _attachment(name: str, ascii_name: str) -> str:
    """RFC 6266: the name in UTF-8 (``filename*``), and an ASCII one for a
    client that reads only ``filename``."""
    from urllib.parse import quote

    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


@api.get("/api/cite/<doc_id>")


def api_cite(doc_id: str):
    """One document's citation for a reference manager (RIS or BibTeX)."""
    fmt = request.args.get("format", "ris")
    if fmt not in export.CITATION_FORMATS:
        return _json_error(f"format 只能是 {' 或 '.join(export.CITATION_FORMATS)}。")
    doc = current_service().document(doc_id, "", 1, 1) if re.fullmatch(r"[0-9a-f]{16}", doc_id) else None
    if doc is None:
        return _json_error("没有这篇文档。", 404)
    return Response(export.render(doc, fmt), content_type=export.MEDIA_TYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{doc_id}.{fmt}"'})


@api.get("/api/suggest")


def api_suggest():
    """Search as you type: words that complete the last word typed, and
    titles that hold it (``SearchService.suggest_as_typed``)."""
    return jsonify(current_service().suggest_as_typed(request.args.get("q", "")))


@api.get("/api/documents")


def api_documents():
    """The by-document view as JSON (``search --by-document --json``)."""
    return answer_json(lambda state: present.grouped(current_service().by_document(state.q, state.options())))


def _json_error(message: str, status: int = 400):
    return jsonify({"error": message}), status
