"""The pages a reader sees: the search page (results, facets, charts,
paging) and a document's page. They render the service's answer; the marks
come from its offsets (``search.present``)."""
from __future__ import annotations

import re

from flask import Blueprint, abort, current_app, render_template, request
from markupsafe import Markup, escape

from search import export, present
from search.service import BadRequest, Options, SearchService, without
from search.text import ascii_int

from . import chart
from .browse import PATH, TABLE_LIMIT, table_url
from .current import current_service
from .state import SearchState, chips, facet_records, paging

pages = Blueprint("pages", __name__)
DOC_ID = re.compile(r"^[0-9a-f]{16}$")
DOC_PAGE_PARAGRAPHS = 200  # one request renders at most this many paragraphs of a document
EXAMPLES = ["放管服", "营商环境", "强区放权", "“一网通办”", "城中村 district:龙华区"]


@pages.get("/")


def index_page():
    state, errors = SearchState.from_args(request.args)
    if state.is_empty():
        return render_template("index.html", state=state, errors=errors, result=None, examples=EXAMPLES,
                               archive=_archive(current_service())), 400 if errors else 200
    try:
        if state.view == "documents":
            result = current_service().by_document(state.q, state.options(), pivot=True)
        else:
            result = current_service().search(state.q, state.options(), pivot=True)
    except BadRequest as exc:
        errors.append(str(exc))
        return render_template("index.html", state=state, errors=errors, result=None,
                               examples=EXAMPLES, archive=None), 400
    view = _results_view(state, result)
    return render_template("index.html", state=state, errors=errors, result=result, examples=EXAMPLES,
                           archive=None, **view), 400 if errors else 200


@pages.get("/doc/<doc_id>")


def document_page(doc_id: str):
    if not DOC_ID.match(doc_id):
        abort(404)
    q = (request.args.get("q") or "")[:1000]
    at = ascii_int(request.args.get("at", "1"))
    at = at if at is not None and at < 10 ** 8 else 1
    doc = current_service().document(doc_id, q, at=at, per_page=DOC_PAGE_PARAGRAPHS)
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


@pages.get("/favicon.ico")


def favicon():
    # what a browser asks for before it reads the page's <link rel=icon>
    return current_app.send_static_file("favicon.svg")


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
            # the path above this paragraph, with this anchor; a run-in
            # heading (not shown above its own paragraph) leads to the paragraph
            run_in = depth > len(p["shown_path"])
            out.append({"title": path[depth - 1], "level": min(depth, 4),
                        "anchor": p["anchor"] if run_in else p["heading_anchor"]})
    return out


HOME_NEWEST = 8  # newest documents the home page lists


def _archive(service: SearchService) -> dict | None:
    """What the home page shows of the archive: the documents table's first
    rows (newest first) and its facets, each value a link into the table.
    None when the index cannot say (the page still offers the search box)."""
    try:
        answer = service.documents(Options(limit=HOME_NEWEST), "date")
    except Exception:
        return None
    empty = SearchState(limit=TABLE_LIMIT)
    facets = facet_records(empty, answer["facets"], lambda s: table_url(s))
    return {**answer, "facet_records": facets, "table_url": PATH}


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
    pager = paging(state, shown_total)
    sorts = [(s, label, state.sorted_by(s).url(), state.sort == s)
             for s, label in (("relevance", "相关度"), ("date", "最新"), ("date-asc", "最早"))]
    views = [(v, label, state.viewed_as(v).url(), state.view == v)
             for v, label in (("paragraphs", "按段落"), ("documents", "按文档"))]
    downloads = {fmt: state.at_page(1).viewed_as("paragraphs").url("/api/export", format=fmt, lang="zh")
                 for fmt in export.FORMATS}
    notes = _linked_notes(state, result)
    return {"hits": hits, "groups": groups, "facets": facets, "facet_shown": FACET_SHOWN, "unit": unit,
            "chips": chips(state) + _place_chips(state, result), "timeline": timeline,
            "comparison": comparison, "compared": compared if comparison else [], "paging": pager,
            "sorts": sorts, "views": views, "export": downloads, "notes": notes, "shown_total": shown_total,
            "feed_url": state.at_page(1).sorted_by("relevance").viewed_as("paragraphs").url("/feed")}


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
