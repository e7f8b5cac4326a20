"""高级检索 (#24): the form writes the search's own URL, and ``title:`` in
the query language keeps the documents whose title holds its words (every
engine's count: tests/test_conformance.py)."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from search.query.parse import parse
from web.cli import app_for


@pytest.fixture(scope="module")
def client(seed_index):
    app = app_for(["--index", str(seed_index)])
    app.testing = True
    return app.test_client()


def _sent(client, query: str) -> dict:
    r = client.get("/advanced?go=1&" + query)
    assert r.status_code == 303, r.get_data(as_text=True)
    target = urlsplit(r.headers["Location"])
    assert target.path == "/"
    return parse_qs(target.query)


def test_every_field_becomes_the_query_language_and_the_filters(client):
    args = _sent(client, "all=改革 社区&phrase=一网通办&any=营商环境 审批&none=督查&district=罗湖区&kind=通知"
                         "&issuer=深圳市罗湖区人民政府办公室&from=2017-01-01&to=2017-12&sort=date")
    assert args == {"q": ['改革 社区 "一网通办" 营商环境 OR 审批 -督查'], "district": ["罗湖区"],
                    "issuer": ["深圳市罗湖区人民政府办公室"], "kind": ["通知"], "date": ["2017-01-01..2017-12"],
                    "sort": ["date"]}
    # the query it wrote means what the form said
    parsed = parse(args["q"][0])
    assert len(parsed.tree.items) == 4 and len(parsed.tree.exclude) == 1


def test_title_only_puts_the_words_in_title_and_lists_documents(client):
    args = _sent(client, "scope=title&all=改革 计划&phrase=")
    assert args == {"q": ["title:改革 title:计划"], "view": ["documents"]}
    answer = client.get("/api/documents?" + "q=" + args["q"][0]).get_json()
    assert [g["title"] for g in answer["groups"]] == ["深圳市羅湖區2017年改革計劃"]  # traditional title, simplified words
    html = client.get("/?q=" + args["q"][0] + "&view=documents").get_data(as_text=True)
    assert 'value="title:改革 title:计划"' in html  # the box shows the query the form wrote


def test_an_empty_form_or_a_bad_date_is_said_on_the_form(client):
    for query, says in (("", "至少填写一个"), ("all=改革&from=2017-13-01", "日期")):
        r = client.get("/advanced?go=1&" + query)
        html = r.get_data(as_text=True)
        assert r.status_code == 400 and says in html and 'id="advanced-form"' in html
    hostile = client.get("/advanced?go=1&all=<script>alert(1)</script>&from=<b>")
    assert hostile.status_code == 400 and "<script>alert" not in hostile.get_data(as_text=True)


def test_opened_from_a_search_the_form_holds_its_words_and_filters(client):
    html = client.get("/?q=放管服&district=罗湖区&date=2017..2019").get_data(as_text=True)
    link = re.search(r'class="advanced-link" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    form = client.get(link).get_data(as_text=True)
    assert 'name="all" value="放管服"' in form and 'value="罗湖区" checked' in form
    assert 'name="from" value="2017-01-01"' in form and 'name="to" value="2019-12-31"' in form


def test_title_in_the_query_language():
    parsed = parse("title:放管服改革 社区 标题：光明")
    assert parsed.filters.title == ["放管服", "改革", "光明"]
    assert [i.text for i in parsed.tree.items] == ["社区"]
    traditional = parse("title:改革計劃")
    assert traditional.filters.title == ["改革", "计划"]
    empty = parse("title:。。 社区")
    assert empty.filters.title == [] and empty.notes
