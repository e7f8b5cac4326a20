"""The archive before any word is typed: ``/documents``, a table of every
document — sortable, faceted, paged, every state in the URL, as Datasette's
tables are — and its JSON twin ``/api/documents/all``. The home page shows
the same answer's first rows and facets (``web.pages``)."""
from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, jsonify, render_template, request
from werkzeug.datastructures import MultiDict

from search import catalogue
from search.service import BadRequest

from .current import current_service
from .state import SearchState, chips, facet_records, paging

browse = Blueprint("browse", __name__)
TABLE_LIMIT = 50  # rows per page unless ?limit= says
PATH = "/documents"


def table_request(args) -> tuple[SearchState, str, list[str]]:
    """The filters, page and size as the search page reads them; the sort
    is the table's own (``catalogue.SORTS``)."""
    plain = MultiDict([(k, v) for k, v in args.items(multi=True) if k not in ("sort", "q", "view")])
    state, errors = SearchState.from_args(plain, default_limit=TABLE_LIMIT)
    sort = args.get("sort") or "date"
    if sort not in catalogue.SORTS:
        errors.append(f"排序方式“{sort[:20]}”无效，已按日期排序。")
        sort = "date"
    return state, sort, errors


def table_url(state: SearchState, sort: str = "date", path: str = PATH) -> str:
    """A state of the table as its address (the default size and order left out)."""
    pairs = [(k, v) for k, v in state.pairs() if k != "page"]
    if sort != "date":
        pairs.append(("sort", sort))
    if state.limit != TABLE_LIMIT:
        pairs.append(("limit", str(state.limit)))
    if state.page != 1:
        pairs.append(("page", str(state.page)))
    return path + ("?" + urlencode(pairs) if pairs else "")


@browse.get(PATH)


def documents_page():
    state, sort, errors = table_request(request.args)
    try:
        answer = current_service().documents(state.options(), sort)
    except BadRequest as exc:
        errors.append(str(exc))
        answer = None
    view = _table_view(state, sort, answer) if answer is not None else {}
    return render_template("documents.html", state=state, sort=sort, errors=errors, answer=answer,
                           **view), 400 if errors else 200


@browse.get("/api/documents/all")


def api_documents_all():
    """The table as JSON: the same rows, counts and notes for scripts."""
    state, sort, errors = table_request(request.args)
    if errors:
        return jsonify({"error": " ".join(errors)}), 400
    try:
        return jsonify(current_service().documents(state.options(), sort))
    except BadRequest as exc:
        return jsonify({"error": str(exc)}), 400


def _table_view(state: SearchState, sort: str, answer: dict) -> dict:
    def url(s: SearchState) -> str:
        return table_url(s, sort)

    first = state.at_page(1)

    def column(name: str, label: str, orders: tuple[str, ...]) -> dict:
        """A sortable header: a click sorts by it (again: the other way,
        where it has two), ``aria-sort`` says how it is sorted now."""
        current = sort in orders
        target = orders[(orders.index(sort) + 1) % len(orders)] if current else orders[0]
        aria = ("descending" if sort in ("date", "paragraphs") else "ascending") if current else None
        return {"name": name, "label": label, "url": table_url(first, target), "aria_sort": aria}

    columns = [column("title", "标题", ("title",)), column("date", "日期", ("date", "date-asc")),
               column("paragraphs", "段落", ("paragraphs",))]
    for row in answer["documents"]:
        row["doc_url"] = f"/doc/{row['doc_id']}"
    return {"facets": facet_records(state, answer["facets"], url), "chips": chips(state, url),
            "paging": paging(state, answer["total"], url),
            "columns": columns, "json_url": table_url(state, sort, "/api/documents/all"),
            "search_url": state.at_page(1).viewed_as("documents").url() if not state.is_empty() else None,
            "date_pairs": [(k, v) for k, v in state.dated("").pairs() if k != "page"]
                          + ([("sort", sort)] if sort != "date" else []),
            "sorts": [(s, label, table_url(first, s), s == sort) for s, label in catalogue.SORT_LABELS.items()]}
