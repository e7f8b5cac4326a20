"""Search as you type (#24): ``/api/suggest`` completes the last word typed
with the indexed words that start with it (the most used first) and offers
the titles that hold it; a trailing ``*`` in a query means those words.
Every engine's counts: tests/test_conformance.py; the combobox by keyboard
in a real browser: tests/test_browser.py."""
from __future__ import annotations

import re

import pytest

from web.cli import app_for


@pytest.fixture(scope="module")
def client(seed_index):
    app = app_for(["--index", str(seed_index)])
    app.testing = True
    return app.test_client()


def _offered(client, typed: str) -> list[dict]:
    r = client.get("/api/suggest", query_string={"q": typed})
    assert r.status_code == 200 and r.is_json
    answer = r.get_json()
    assert answer["query"] == typed[:200]
    return answer["suggestions"]


def _total(client, q: str) -> int:
    return client.get("/api/search", query_string={"q": q, "limit": 1}).get_json()["total"]


def test_a_words_start_is_completed_by_the_words_the_archive_uses_most(client):
    words = [s for s in _offered(client, "放管") if s["kind"] == "word"]
    # counted where the paragraph's own text holds it (a fifth has it in its heading only)
    assert words[0]["text"] == "放管服" and words[0]["count"] == 4 == _total(client, '"放管服"') - 1
    reform = [s["text"] for s in _offered(client, "改") if s["kind"] == "word"]
    assert reform[0] == "改革" and len(reform) <= 6
    counts = [s["count"] for s in _offered(client, "改") if s["kind"] == "word"]
    assert counts == sorted(counts, reverse=True)
    # traditional typing, simplified words; the words before the last are kept
    assert _offered(client, "營商")[0]["text"] == "营商环境"
    assert _offered(client, "改革 社")[0]["text"] == "改革 社区"


def test_titles_that_hold_what_was_typed_lead_to_their_document(client):
    titles = [s for s in _offered(client, "罗湖区2017") if s["kind"] == "title"]
    assert [t["text"] for t in titles] == ["深圳市羅湖區2017年改革計劃"]
    assert re.fullmatch(r"/doc/[0-9a-f]{16}", titles[0]["url"]) and titles[0]["district"] == "罗湖区"
    assert client.get(titles[0]["url"]).status_code == 200
    starting = [s["text"] for s in _offered(client, "光明") if s["kind"] == "title"]
    assert starting[0].startswith("光明")


def test_nothing_is_offered_for_a_finished_word_a_filter_or_hostile_input(client):
    for typed in ("放管服 ", "district:龙", "-督", '"放管', "", "   ", "*", "<script>alert(1)</script>"):
        assert _offered(client, typed) == [], typed
    long = _offered(client, "改" * 10_000)
    assert long == []


def test_a_trailing_star_means_the_words_that_start_there(client):
    star = client.get("/api/search", query_string={"q": "营商*"}).get_json()
    assert star["total"] == _total(client, "营商 OR 营商环境")
    assert any("营商环境" in n for n in star["notes"])
    ids = {h["chunk_id"] for h in client.get("/api/search", query_string={"q": "营商*", "limit": 100}).get_json()["hits"]}
    assert ids == {h["chunk_id"] for h in client.get("/api/search", query_string={"q": "营商 OR 营商环境",
                                                                                  "limit": 100}).get_json()["hits"]}
    none = client.get("/api/search", query_string={"q": "xyz*"}).get_json()
    assert none["total"] == 0 and any("没有以“xyz”开头的词" in n for n in none["notes"])
    alone = client.get("/api/search", query_string={"q": "*"}).get_json()
    assert alone["total"] == 0 and any("不支持 *" in n for n in alone["notes"])
    excluded = _total(client, "改革 -营商*")
    assert excluded == _total(client, "改革") - _total(client, "改革 营商*")
    # the document page marks what the star stood for
    doc_id = star["hits"][0]["doc_id"]
    html = client.get(f"/doc/{doc_id}", query_string={"q": "营商*"}).get_data(as_text=True)
    assert "<mark>营商环境</mark>" in html


def test_a_title_is_offered_once_newest_first_and_starting_ones_before_holding_ones():
    """Amended laws and copies share a name: the box offers it once (its
    newest document); titles that start with the word come first."""
    from search.catalogue import Catalogue
    from search.engine import DocumentRecord

    def doc(n, title, date):
        return DocumentRecord(f"{n:016x}", f"{n}.txt", "/c", title, date, int(date[:4]), None, "h")

    docs = [doc(1, "优化营商环境条例", "2019-01-01"), doc(2, "优化营商环境条例", "2021-05-01"),
            doc(3, "北京市优化营商环境条例", "2020-01-01"), doc(4, "營商環境報告", "2018-01-01")]
    table = Catalogue({d.doc_id: d for d in docs}, {}).prepare()
    offered = table.titles_with("营商", 4)
    assert [(d.title, d.date) for d in offered] == [("營商環境報告", "2018-01-01"), ("优化营商环境条例", "2021-05-01"),
                                                    ("北京市优化营商环境条例", "2020-01-01")]
    assert table.titles_with("营商", 1) == [docs[3]] and table.titles_with("", 4) == []
