"""The archive before a word is typed (#24): the home page's newest
documents and facets, ``/documents`` (sortable, faceted, paged, every state
in the URL), its JSON twin and ``search --list`` — on the shipped corpus, as
``search-web`` and ``search`` serve it by default. Every engine's table is
held to an independent count in tests/test_conformance.py."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

import pytest

from search import config
from web.cli import app_for

SEED_TITLES = {"003": "深圳市羅湖區2017年改革計劃", "004": "光明在重点领域和关键环节持续改革突破"}


@pytest.fixture(scope="module")
def client(seed_index):
    app = app_for(["--index", str(seed_index)])
    app.testing = True
    return app.test_client()


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr data-doc="([0-9a-f]{16})">', html)


def _json(client, url):
    r = client.get(url)
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()


def test_the_home_page_shows_the_archive_newest_first_with_facets_leading_into_the_table(client):
    html = client.get("/").get_data(as_text=True)
    table = _json(client, "/api/documents/all")
    newest = re.findall(r'<li data-doc="([0-9a-f]{16})">', html)
    assert newest == [d["doc_id"] for d in table["documents"]][:8] and len(newest) == 5
    assert table["documents"][0]["year"] == 2023 and table["documents"][1]["date"] == "2021-08-26"
    # each facet value a link into the table, with the table's count (documents)
    links = re.findall(r'<a class="facet-value" href="([^"]+)" data-facet="(\w+)" data-value="([^"]+)">'
                       r'<span class="label">[^<]*</span> <span class="count">(\d+)</span>', html)
    shown = {(f, v): int(n) for _, f, v, n in links}
    assert shown == {(f, v): n for f, counts in table["facets"].items() for v, n in list(counts.items())[:8]}
    assert "全部 10 项…" in html  # the domains beyond the first eight: in the table
    href = next(h for h, f, v, _ in links if v == "龙华区").replace("&amp;", "&")
    assert urlsplit(href).path == "/documents" and parse_qs(urlsplit(href).query) == {"district": ["龙华区"]}
    assert len(_rows(client.get(href).get_data(as_text=True))) == 2
    assert 'href="/documents" class="all-documents"' in html


def test_the_table_sorts_filters_and_pages_with_every_state_in_the_url(client):
    html = client.get("/documents").get_data(as_text=True)
    assert '<strong id="total">5</strong> 篇文档、238 个段落' in html
    assert re.search(r'<th scope="col" class="col-date" aria-sort="descending">', html)
    # a header sorts by its column; the date header again turns the order round
    title_url = re.search(r'<a href="([^"]+)" data-column="title">', html).group(1).replace("&amp;", "&")
    assert title_url == "/documents?sort=title"
    by_title = client.get(title_url).get_data(as_text=True)
    assert 'aria-sort="ascending"' in by_title
    date_again = re.search(r'<a href="([^"]+)" data-column="date">', html).group(1).replace("&amp;", "&")
    assert date_again == "/documents?sort=date-asc"
    oldest = _json(client, "/api/documents/all?sort=date-asc")["documents"]
    assert oldest[0]["title"] == SEED_TITLES["003"]  # 2017, traditional script
    # two districts, sorted by paragraphs, two a page: page 2 keeps them all in its links
    url = "/documents?district=龙华区&district=光明区&sort=paragraphs&limit=1&page=2"
    page2 = client.get(url).get_data(as_text=True)
    assert len(_rows(page2)) == 1
    prev = re.search(r'<a href="([^"]+)" rel="prev">', page2).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(prev).query) == {"district": ["龙华区", "光明区"], "sort": ["paragraphs"],
                                              "limit": ["1"]}
    api = _json(client, url.replace("/documents", "/api/documents/all"))
    assert api["total"] == 3 and api["sort"] == "paragraphs" and _rows(page2) == [api["documents"][0]["doc_id"]]
    everything = _json(client, "/api/documents/all?district=龙华区&district=光明区&sort=paragraphs")["documents"]
    assert [d["paragraphs"] for d in everything] == sorted((d["paragraphs"] for d in everything), reverse=True)


def test_the_tables_facet_counts_are_documents_and_equal_the_by_document_search(client):
    """The same filters through the search's by-document view count the same
    documents per value: one count, two pages."""
    table = _json(client, "/api/documents/all?domain=文化")
    grouped = _json(client, "/api/documents?q=改革&domain=文化&limit=100")
    assert table["total"] == 3
    assert {g["doc_id"] for g in grouped["groups"]} <= {d["doc_id"] for d in table["documents"]}
    html = client.get("/documents?domain=文化").get_data(as_text=True)
    shown = dict(re.findall(r'data-facet="district" data-value="([^"]+)"[^>]*>.*?<span class="count">(\d+)</span>',
                            html, re.S))
    assert {k: int(v) for k, v in shown.items()} == table["facets"]["district"]
    assert "地区：" not in html or "chip" in html  # the selected domain shows as a removable chip
    assert re.search(r'class="chip" href="/documents"', html)


def test_bad_table_parameters_are_said_and_never_crash(client):
    r = client.get("/documents?sort=%3Cscript%3E&page=0&year=20x")
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and "<script>" not in html
    assert "排序方式" in html and "年份" in html and len(_rows(html)) == 5  # dropped, the rest answered
    assert client.get("/api/documents/all?sort=title;drop").status_code == 400
    past = client.get("/documents?page=7").get_data(as_text=True)
    assert "已经超过最后一页：共 1 页" in past
    unknown = _json(client, "/api/documents/all?district=火星区")
    assert unknown["total"] == 0 and unknown["documents"] == [] and unknown["notes"]


def _search(*args):
    return subprocess.run([sys.executable, "-m", "search.cli", *args], capture_output=True, text=True, timeout=120,
                          cwd=config.PROJECT_ROOT)


def test_search_list_prints_the_same_table(seed_index, client):
    listed = _search("--list", "--index", str(seed_index))
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].startswith("共 5 篇文档、238 段")
    assert "地区（篇）：龙华区 2" in listed.stdout
    as_json = json.loads(_search("--list", "--sort", "title", "--district", "罗湖", "--json", "--index",
                                 str(seed_index)).stdout)
    assert as_json == _json(client, "/api/documents/all?sort=title&district=罗湖&limit=10")
    assert [d["title"] for d in as_json["documents"]] == [SEED_TITLES["003"]]
    for bad, says in ((["--list", "放管服"], "--list takes no search words"),
                      (["--list", "--sort", "relevance"], "--list sorts by"),
                      (["放管服", "--sort", "title"], "--list table only")):
        r = _search(*bad, "--index", str(seed_index))
        assert r.returncode == 2 and says in r.stderr and len(r.stderr.strip().splitlines()) == 1
