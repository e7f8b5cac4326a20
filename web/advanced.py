"""高级检索: a form for what the query language says in one line — every
word, an exact phrase, any of, none of, in the title only — with the
district, issuer, 文种 and a day-level date span. The form is sent to
``/advanced``, which writes the search's own URL (``/?q=…&district=…``)
and redirects there: the results page's box then shows the query it made,
so the form also teaches the syntax (政策文件库 and 北大法宝 have the form;
neither shows what it means)."""
from __future__ import annotations

import re
from urllib.parse import urlencode

from flask import Blueprint, redirect, render_template, request

from search.engine import FACETS
from search.query.parse import parse_date_span
from search.service import Options

from .current import current_service

advanced = Blueprint("advanced", __name__)
FIELDS = ("all", "phrase", "any", "none")
SCOPES = {"text": "全文", "title": "仅标题"}
_QUOTES = re.compile(r'["“”]')
MAX_FIELD = 300


def compose(form) -> tuple[list[tuple[str, str]], list[str]]:
    """(the search's URL parameters, what was wrong) from the form's fields."""
    errors: list[str] = []
    text = {name: _QUOTES.sub(" ", (form.get(name) or ""))[:MAX_FIELD].split() for name in FIELDS}
    title = form.get("scope") == "title"
    parts = [f"title:{w}" if title else w for w in text["all"]]
    if text["phrase"]:
        phrase = "".join(text["phrase"]) if title else " ".join(text["phrase"])
        parts.append(f"title:{phrase}" if title else f'"{phrase}"')
    if text["any"]:
        parts.append(" OR ".join(text["any"]))
    parts.extend(f"-{w.lstrip('-')}" for w in text["none"] if w.lstrip("-"))
    pairs = [("q", " ".join(parts))] if parts else []
    for facet in FACETS:
        pairs.extend((facet, v.strip()) for v in form.getlist(facet) if v and v.strip())
    low, high = (form.get("from") or "").strip(), (form.get("to") or "").strip()
    if low or high:
        span = f"{low}..{high}"
        if parse_date_span(span) is None:
            errors.append(f"日期“{span[:40]}”无效：起止日期应写作 2021-03-01（或 2021-03、2021），可只填一端。")
        else:
            pairs.append(("date", span))
    if not pairs:
        errors.append("请至少填写一个检索词或筛选条件。")
    view = form.get("view") or ("documents" if title else "paragraphs")
    if view == "documents":
        pairs.append(("view", "documents"))
    if form.get("sort") in ("date", "date-asc"):
        pairs.append(("sort", form["sort"]))
    return pairs, errors


@advanced.get("/advanced")


def advanced_search():
    args = request.args
    if args.get("go"):  # sent by the form (opened from a search: its state, to fill the form with)
        pairs, errors = compose(args)
        if not errors:
            return redirect("/?" + urlencode(pairs), code=303)
        return _form(args, errors), 400
    return _form(args, [])


def _form(args, errors: list[str]):
    """The form, filled with what was sent (or the search it was opened
    from: its words as "every word", its filters ticked)."""
    try:
        facets = current_service().documents(Options(limit=0))["facets"]
    except Exception:  # the form still works without the lists
        facets = {facet: {} for facet in FACETS}
    values = {name: args.get(name) or "" for name in FIELDS + ("from", "to", "scope", "view", "sort")}
    if not any(values[name] for name in FIELDS) and args.get("q"):
        values["all"] = args["q"]
    date = parse_date_span(args.get("date") or "")
    if date and not (values["from"] or values["to"]):
        values["from"], values["to"] = (d if not d.startswith(("0000", "9999")) else "" for d in date)
    chosen = {facet: set(args.getlist(facet)) for facet in FACETS}
    return render_template("advanced.html", errors=errors, v=values, facets=facets, chosen=chosen, scopes=SCOPES)
