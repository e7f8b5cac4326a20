"""Follow a topic: an Atom feed of the newest documents a search finds.

A researcher who tracks 营商环境 in 罗湖区 subscribes to
``/feed?q=营商环境&district=罗湖区`` in a feed reader and is told when a
matching document appears, instead of running the search again. Every
result page links its feed (the same parameters). The entries are the
matching documents, newest first (a document with a day by its day), each
linking to its page with the query marked; feedgen writes the Atom.
"""
from __future__ import annotations

import datetime
from urllib.parse import quote

from flask import Blueprint, Response, request

from search import present

from .current import current_service
from .state import SearchState, chips

feed = Blueprint("feed", __name__)

FEED_ENTRIES = 50


@feed.get("/feed")
def topic_feed():
    state, errors = SearchState.from_args(request.args)
    if errors:
        return Response(" ".join(errors), status=400, content_type="text/plain; charset=utf-8")
    state = state.sorted_by("date").viewed_as("documents").at_page(1)
    opts = state.options()
    opts.limit = FEED_ENTRIES
    answer = current_service().by_document(state.q, opts)
    return Response(_atom(state, answer), content_type="application/atom+xml; charset=utf-8")


def _when(item: dict) -> datetime.datetime | None:
    """A document's day as a moment (noon UTC+8: the day a Chinese office
    published it, whatever the reader's zone); its year's first day when
    only the year is known; None when neither is."""
    tz = datetime.timezone(datetime.timedelta(hours=8))
    if item.get("date"):
        return datetime.datetime.fromisoformat(item["date"]).replace(hour=12, tzinfo=tz)
    if item.get("year"):
        return datetime.datetime(int(item["year"]), 1, 1, 12, tzinfo=tz)
    return None


def _atom(state: SearchState, answer: dict) -> bytes:
    from feedgen.feed import FeedGenerator

    root = request.url_root.rstrip("/")
    page = root + state.url("/")
    fg = FeedGenerator()
    fg.id(root + state.url("/feed"))
    what = " ".join(x for x in [state.q] + [f"{c['facet']}：{c['value']}" for c in chips(state)] if x)
    fg.title(f"改革检索：{what or '全部文档'}")
    fg.subtitle(f"最新的匹配文档（共 {answer.get('documents', 0)} 篇，列出最新的 {FEED_ENTRIES} 篇以内）")
    fg.link(href=page, rel="alternate")
    fg.link(href=root + state.url("/feed"), rel="self")
    fg.language("zh-CN")
    moments = []
    for group in answer.get("groups", []):
        entry = fg.add_entry(order="append")
        url = f"{root}/doc/{group['doc_id']}" + (f"?q={quote(state.q, safe='')}" if state.q else "")
        entry.id(f"{root}/doc/{group['doc_id']}")
        entry.title(group["title"] or group["source"])
        entry.link(href=url)
        for issuer in group.get("issuers") or []:
            entry.author({"name": issuer})
        when = _when(group)
        if when is not None:
            entry.published(when)
            entry.updated(when)
            moments.append(when)
        else:  # Atom requires one: an undated document is as old as can be shown
            entry.updated(datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc))
        excerpt = " … ".join(present.excerpt(h, open_mark="", close_mark="", quote=str) for h in group["hits"])
        official = present.official(group)
        entry.summary("\n".join(x for x in (official, excerpt) if x))
    fg.updated(max(moments) if moments else datetime.datetime.now(datetime.timezone.utc))
    fg.author({"name": "改革检索"})
    return fg.atom_str(pretty=True)
