"""Counts a researcher would cite, checked against counts computed from the
indexer's own paragraphs — not from the index — plus paging, sorting and marks."""
from __future__ import annotations

from collections import Counter

import pytest

from search.analysis import to_simplified
from search.present import contract
from search.service import Options


class AsJSON:
    """A service answering as the JSON contract shows it (``--json``, ``/api/search``)."""

    def __init__(self, service):
        self.service = service

    def search(self, *args, **kwargs):
        return contract(self.service.search(*args, **kwargs))

WORDS = ["营商环境", "强区放权", "改革", "社区", "知识产权", "城中村", "教育"]


def expected(seed_docs, word, district=None, year=None, domain=None):
    """Paragraphs whose text or headings contain ``word`` (simplified), and a
    document's first paragraph when its title does, with their facet counts,
    each facet ignoring its own filter."""
    rows = []
    for doc in seed_docs.values():
        for c in doc.chunks:
            first = (c.paragraph, c.part) == (1, 1) and word in to_simplified(doc.title)
            if first or word in to_simplified(c.text + "\n" + "\n".join(c.section_path)):
                rows.append((doc.district, str(doc.year) if doc.year else None, c.domains,
                             [to_simplified(i) for i in doc.issuers], doc.kind))

    def keep(row, skip):
        d, y, doms, _issuers, _kind = row
        return ((skip == "district" or not district or d == district)
                and (skip == "year" or not year or y == year)
                and (skip == "domain" or not domain or domain in doms))

    total = sum(keep(r, None) for r in rows)
    facets = {
        "district": Counter(r[0] for r in rows if r[0] and keep(r, "district")),
        "year": Counter(r[1] for r in rows if r[1] and keep(r, "year")),
        "domain": Counter(x for r in rows if keep(r, "domain") for x in r[2]),
        "issuer": Counter(x for r in rows if keep(r, "issuer") for x in r[3]),
        "kind": Counter(r[4] for r in rows if r[4] and keep(r, "kind")),
    }
    return total, {k: dict(v) for k, v in facets.items()}


@pytest.mark.parametrize("word", WORDS)
def test_total_and_facets_match_an_independent_count(service, seed_docs, word):
    total, facets = expected(seed_docs, word)
    r = service.search(word, Options(limit=0))
    assert total > 0
    assert r["total"] == total
    assert r["facets"] == facets


@pytest.mark.parametrize("word,district,year,domain", [
    ("改革", "龙华区", None, None),
    ("改革", None, "2017", None),
    ("改革", None, None, "基层治理"),
    ("改革", "光明区", "2021", "经济"),
    ("营商环境", "龙华区", "2018", None),
    ("社区", None, "2021", "基层治理"),
])
def test_each_filter_and_the_facets_beside_it_match_an_independent_count(service, seed_docs, word, district, year, domain):
    total, facets = expected(seed_docs, word, district, year, domain)
    opts = Options(district=[district] if district else [], year=[year] if year else [],
                   domain=[domain] if domain else [], limit=100)
    r = service.search(word, opts)
    assert total > 0
    assert r["total"] == total
    assert r["facets"] == facets
    for h in r["hits"]:
        assert district in (None, h["district"]) and year in (None, str(h["year"]))
        assert domain is None or domain in h["domains"]


def test_filters_in_the_query_equal_filters_as_options(service):
    inline = service.search("改革 district:龙华区 year:2018-2020 domain:经济", Options(limit=0))
    flags = service.search("改革", Options(district=["龙华区"], year=["2018-2020"], domain=["经济"], limit=0))
    assert inline["total"] == flags["total"] > 0
    assert inline["facets"] == flags["facets"]


def test_two_districts_are_ored(service):
    a = service.search("改革", Options(district=["龙华区"], limit=0))["total"]
    b = service.search("改革", Options(district=["光明区"], limit=0))["total"]
    both = service.search("改革", Options(district=["龙华区", "光明区"], limit=0))["total"]
    assert a and b and both == a + b


def test_pages_tile_the_result_list(service):
    whole = service.search("改革", Options(limit=30))
    pages = [service.search("改革", Options(page=p, limit=10)) for p in (1, 2, 3)]
    ids = [h["chunk_id"] for p in pages for h in p["hits"]]
    assert ids == [h["chunk_id"] for h in whole["hits"]]
    assert len(set(ids)) == 30
    assert all(p["total"] == whole["total"] for p in pages)
    past_end = service.search("改革", Options(page=1000, limit=10))
    assert past_end["hits"] == [] and past_end["total"] == whole["total"]


def test_sort_by_date_puts_newest_first_and_keeps_the_same_matches(service):
    by_rel = service.search("社区", Options(limit=100))
    by_date = service.search("社区", Options(limit=100, sort="date"))
    assert by_rel["total"] <= 100
    dates = [h["date"] or str(h["year"] or "") for h in by_date["hits"]]
    assert dates == sorted(dates, reverse=True)
    assert dates[0] > dates[-1]
    assert by_date["total"] == by_rel["total"]
    assert {h["chunk_id"] for h in by_date["hits"]} == {h["chunk_id"] for h in by_rel["hits"]}
    assert all(h["score"] > 0 for h in by_date["hits"])  # the relevance score, not the sort key


def test_relevance_prefers_a_paragraph_that_holds_the_whole_phrase(service):
    r = service.search("营商 环境", Options(limit=100))
    first = r["hits"][0]
    assert "营商环境" in to_simplified(first["text"])


def test_alias_expansion_is_reported_and_finds_the_alias(service, seed_docs):
    r = service.search("放管服", Options(limit=100))
    note = next(n for n in r["notes"] if "简政放权" in n)
    assert "放管结合" in note and "优化服务" not in note  # 优化服务 alone is not 放管服
    alias_only = [h for h in r["hits"] if "简政放权" in to_simplified(h["text"]) and "放管服" not in h["text"]]
    plain = service.search('"放管服"', Options(limit=100))
    assert r["total"] >= plain["total"] + len(alias_only)


def test_different_reforms_are_not_aliases(service):
    r = service.search("一网通办", Options(limit=100))
    assert not any("一网统管" in n for n in r["notes"])
    assert all("一网统管" not in to_simplified(h["text"]) or "一网通办" in to_simplified(h["text"]) for h in r["hits"])


def test_zero_results_suggest_dropping_a_filter(service):
    r = service.search("放管服", Options(district=["罗湖区"], limit=10))
    assert r["total"] == 0
    assert any("去掉筛选条件" in n for n in r["notes"])


def test_no_paragraph_with_both_words_shows_those_with_the_rarer_one(service, seed_docs):
    """放管服 and 城中村 share no paragraph: the answer is the paragraphs of
    the rarer word (fewer paragraphs hold it), said in a note — never an
    empty page that suggests dropping a word."""
    r = service.search("放管服 城中村", Options(limit=10))
    counts = {w: expected(seed_docs, w)[0] for w in ("城中村", "放管服")}
    rarer = min(counts, key=counts.get)
    assert r["total"] >= counts[rarer] > 0
    assert any("含全部检索词的段落 0 段" in n and f"都含“{rarer}”" in n for n in r["notes"]), r["notes"]


# ---- precision and marks on a tiny corpus of our own ----


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from indexer.build import build_index
    from search.service import SearchService
    from search.engines import open_engine

    root = tmp_path_factory.mktemp("tiny")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("甲文\n\n加快发展新质生产力，推进数字政府建设。\n", encoding="utf-8")
    (corpus / "b.txt").write_text("乙文\n\n解放和发展社会生产力。政府要加强建设，数字经济发展。\n", encoding="utf-8")
    (corpus / "c.txt").write_text("丙文\n\n優化營商環境，營商環境是生產力。\n", encoding="utf-8")
    build_index([corpus], root / "index", progress=False)
    return AsJSON(SearchService(open_engine(root / "index")))


def test_a_long_word_never_matches_a_paragraph_that_only_shares_a_fragment(tiny):
    r = tiny.search("新质生产力")
    assert r["total"] == 1
    assert r["hits"][0]["source"] == "a.txt"
    assert "<mark>新质生产力</mark>" in r["hits"][0]["snippet"]
    assert tiny.search("生产力")["total"] == 3


def test_a_phrase_is_marked_only_where_its_words_are_consecutive(tiny):
    r = tiny.search('"数字政府建设"')
    assert r["total"] == 1
    snippet = r["hits"][0]["snippet"]
    assert snippet.count("<mark>") == 1
    assert "<mark>数字政府建设</mark>" in snippet


def test_words_are_marked_whole_in_their_own_script(tiny):
    r = tiny.search("营商环境")
    snippet = r["hits"][0]["snippet"]
    assert snippet.count("<mark>營商環境</mark>") == 2
    assert "<mark>營商</mark>" not in snippet


def test_an_excluded_word_is_not_marked(tiny):
    r = tiny.search("生产力 -新质生产力")
    assert {h["source"] for h in r["hits"]} == {"b.txt", "c.txt"}
    assert all("<mark>" in h["snippet"] for h in r["hits"])


def test_a_run_typed_without_spaces_must_stand_together(tiny):
    r = tiny.search("数字政府建设")
    assert [h["source"] for h in r["hits"]] == ["a.txt"]  # b.txt has 政府 … 建设 … 数字 apart
    assert r["hits"][0]["snippet"].count("<mark>") == 1
    assert not r["notes"]


def test_a_run_found_nowhere_relaxes_to_its_words_with_a_note(tiny):
    r = tiny.search("数字发展")  # together nowhere; apart in a.txt and b.txt
    assert {h["source"] for h in r["hits"]} == {"a.txt", "b.txt"}
    assert any("连续出现" in n and "数字发展" in n for n in r["notes"])
    quoted = tiny.search('"数字发展"')  # a quoted phrase never relaxes
    assert quoted["total"] == 0


def test_an_edited_aliases_file_takes_effect_and_a_bad_line_is_skipped(tmp_path, caplog):
    import os

    from search.query.aliases import load_aliases

    path = tmp_path / "aliases.txt"
    path.write_text("# comment\n放管服 = 简政放权\n这一行没有等号\n", encoding="utf-8")
    assert load_aliases(path)["放管服"] == ("简政放权",)
    assert any("skipped" in r.message for r in caplog.records)
    path.write_text("放管服 = 简政放权、放管结合\n", encoding="utf-8")
    os.utime(path, ns=(1, 2_000_000_000_000_000_000))  # a new modification time, however fast the disk
    assert load_aliases(path)["放管服"] == ("简政放权", "放管结合")
