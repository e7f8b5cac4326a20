"""The JSON API: what the page shows, for scripts (the contract of
DESIGN.md), and the export of a whole answer."""
from __future__ import annotations

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
    name = "reform-search-export"
    return Response(export.render(data, fmt, lang), content_type=export.MEDIA_TYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"',
                             "X-Total-Count": str(data["total"]),
                             "X-Truncated": "1" if data["truncated"] else "0"})


@api.get("/api/documents")


def api_documents():
    """The by-document view as JSON (``search --by-document --json``)."""
    return answer_json(lambda state: present.grouped(current_service().by_document(state.q, state.options())))


def _json_error(message: str, status: int = 400):
    return jsonify({"error": message}), status
