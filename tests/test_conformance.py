"""The engine contract, run unchanged against every engine this version has
(``search.engine.ENGINES``) on a generated corpus whose answers are computed
here, from the indexer's own paragraphs and never from an index.

What every engine must give: totals, every facet's counts (each ignoring its
own selection, honouring the others), hits that obey every filter, paging to
the end without loss or repeat, both date orders, the same answers with the
server's time limit on, and incremental add / change / delete.
"""
from __future__ import annotations

import importlib

import json
import random
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

from search.analysis import words
from search.engines import ENGINES
from tests.conftest import build, engines_under_test
from search.service import Options, SearchService

VOCAB = ["营商环境", "强区放权", "城中村", "社区", "知识产权", "教育", "养老", "审批", "督查", "网格"]
FILLER = ["持续推进相关工作", "进一步抓好落实", "着力完善机制", "稳步扩大覆盖"]
DISTRICTS = ["罗湖区", "龙华区", "龙岗区", "光明区", None]
# issuers as sidecars give them (a traditional name counts with its simplified twin)
ISSUERS = [[], ["深圳市人民政府"], ["中共深圳市委办公厅", "深圳市人民政府办公厅"], ["深圳市罗湖区人民政府"],
           ["深圳市羅湖區人民政府"]]
KINDS = ["通知", "意见", "方案", None]
N_DOCS = 80


def _generate(root: Path, seed: int = 7) -> Path:
    rng = random.Random(seed)
    corpus = root / "corpus"
    corpus.mkdir(parents=True)
    for n in range(N_DOCS):
        year = rng.choice([2016, 2018, 2019, 2021, 2023, None])
        meta = {"title": f"生成文件{n}", "district": rng.choice(DISTRICTS), "year": year,
                "issuers": rng.choice(ISSUERS), "kind": rng.choice(KINDS)}
        if year and rng.random() < 0.6:
            meta["date"] = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        lines = []
        for p in range(rng.randint(2, 7)):
            picked = rng.sample(VOCAB, rng.randint(1, 3))
            lines.append(f"第{n}号文件第{p}段，" + "，".join(picked + [rng.choice(FILLER)]) + "。")
        (corpus / f"doc{n:03d}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        (corpus / f"doc{n:03d}.txt.meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return corpus


def _paragraphs(corpus: Path) -> dict[str, dict]:
    """chunk id → what a correct engine must know of it, from the indexer alone."""
    from indexer.process import process_file
    from indexer.read import find_files
    from search.analysis import to_simplified

    rows = {}
    for source in find_files(corpus):
        doc = process_file(source)
        for c in doc.chunks:
            rows[c.chunk_id] = {"doc_id": doc.doc_id, "words": {w for w in VOCAB if w in c.text},
                                "letters": re.sub(r"\W", "", c.text),
                                "paragraph": c.paragraph, "part": c.part,
                                "district": doc.district,
                                "year": doc.year, "date": doc.date, "domains": set(c.domains),
                                "issuers": {to_simplified(i) for i in doc.issuers}, "kind": doc.kind,
                                "title": doc.title}
    return rows


@pytest.fixture(scope="module", params=engines_under_test())
def world(request, tmp_path_factory):
    from search.engines import open_engine

    root = tmp_path_factory.mktemp(f"conformance-{request.param}")
    corpus = _generate(root)
    build([corpus], root / "index", request.param)
    engine = open_engine(root / "index")
    module, _, cls = ENGINES[request.param].implementation.partition(":")
    assert type(engine) is getattr(importlib.import_module(module), cls) and engine.NAME == request.param
    return {"engine": request.param, "corpus": corpus, "index": root / "index",
            "rows": _paragraphs(corpus), "service": SearchService(engine),
            "limited": SearchService(open_engine(root / "index"), time_limit=5.0)}


def test_the_generated_vocabulary_is_whole_words():
    for w in VOCAB:
        assert words(w) == [w], w


QUERIES = {  # query → which paragraphs match, by their words
    "营商环境": lambda ws: "营商环境" in ws,
    "社区 教育": lambda ws: {"社区", "教育"} <= ws,
    "城中村 OR 养老": lambda ws: bool({"城中村", "养老"} & ws),
    "审批 -督查": lambda ws: "审批" in ws and "督查" not in ws,
    "网格 OR 知识产权 -强区放权": lambda ws: bool({"网格", "知识产权"} & ws) and "强区放权" not in ws,
}
AND_WORDS = {"社区 教育": ("社区", "教育")}  # the queries that are an AND of words
RELAX_BELOW = 10  # search.reading's: a thinner answer is widened


def _meant(rows, q, filters):
    """The match the product answers with (``search.reading``): the words as
    typed; or, for an AND of words that finds fewer than a page under the
    filters, the paragraphs holding the rarest word of them (fewest
    paragraphs in the whole index; the first typed among equals), when that
    finds more."""
    match = QUERIES[q]
    words = AND_WORDS.get(q)
    if not words:
        return match
    strict = sum(1 for r in rows.values() if match(r["words"]) and _keep(r, filters))
    if strict >= RELAX_BELOW:
        return match
    df = {w: sum(1 for r in rows.values() if w in r["words"]) for w in words}
    rarest = min(words, key=lambda w: (df[w], words.index(w)))

    def loose(ws):
        return rarest in ws

    wider = sum(1 for r in rows.values() if loose(r["words"]) and _keep(r, filters))
    return loose if wider > strict else match


FILTERS = [
    {},
    {"district": ["龙华区"]},
    {"district": ["罗湖区", "光明区"], "year": ["2018-2021"]},
    {"year": ["2023"]},
    {"domain": ["基层治理"]},
    {"district": ["龙岗区"], "domain": ["社会民生", "经济"], "year": ["2016-2019"]},
    {"issuer": ["深圳市罗湖区人民政府"]},
    {"issuer": ["深圳市人民政府", "深圳市人民政府办公厅"], "kind": ["通知"]},
    {"kind": ["意见", "方案"], "district": ["罗湖区", "龙华区"]},
    {"date": "2018-03-01..2021-06-30"},
    {"date": "2019", "issuer": ["深圳市人民政府办公厅"], "domain": ["经济"]},
]


def _keep(row, filters, skip=None) -> bool:
    if skip != "district" and filters.get("district") and row["district"] not in filters["district"]:
        return False
    if skip != "year" and filters.get("year"):
        spans = [tuple(int(x) for x in (y.split("-") * 2)[:2]) for y in filters["year"]]
        if row["year"] is None or not any(lo <= row["year"] <= hi for lo, hi in spans):
            return False
    if skip != "domain" and filters.get("domain") and not set(filters["domain"]) & row["domains"]:
        return False
    if skip != "issuer" and filters.get("issuer") and not set(filters["issuer"]) & row["issuers"]:
        return False
    if skip != "kind" and filters.get("kind") and row["kind"] not in filters["kind"]:
        return False
    if filters.get("date"):  # a span of days: a document without a day is outside it
        low, _, high = filters["date"].partition("..")
        low, high = (low, high) if high else (f"{low}-01-01", f"{low}-12-31")
        if not row["date"] or not low <= row["date"] <= high:
            return False
    return True


def _expected(rows, match, filters):
    hits = {cid for cid, r in rows.items() if match(r["words"]) and _keep(r, filters)}
    facets = {
        "district": Counter(r["district"] for r in rows.values()
                            if match(r["words"]) and r["district"] and _keep(r, filters, "district")),
        "year": Counter(str(r["year"]) for r in rows.values()
                        if match(r["words"]) and r["year"] and _keep(r, filters, "year")),
        "domain": Counter(d for r in rows.values() if match(r["words"]) and _keep(r, filters, "domain")
                          for d in r["domains"]),
        "issuer": Counter(i for r in rows.values() if match(r["words"]) and _keep(r, filters, "issuer")
                          for i in r["issuers"]),
        "kind": Counter(r["kind"] for r in rows.values()
                        if match(r["words"]) and r["kind"] and _keep(r, filters, "kind")),
    }
    return hits, {k: dict(v) for k, v in facets.items()}


def _all_pages(service, q, filters, sort="relevance", limit=7):
    seen, page = [], 1
    while True:
        r = service.search(q, Options(**filters, page=page, limit=limit, sort=sort))
        if not r["hits"]:
            return r, seen
        seen.extend(r["hits"])
        page += 1


@pytest.mark.parametrize("q", sorted(QUERIES))
@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: ",".join(
    f"{k}={v if isinstance(v, str) else '|'.join(v)}" for k, v in f.items()) or "none")
def test_totals_facets_filters_and_paging_match_an_independent_count(world, q, filters):
    want_hits, want_facets = _expected(world["rows"], _meant(world["rows"], q, filters), filters)
    for service in (world["service"], world["limited"]):
        last, hits = _all_pages(service, q, filters)
        assert last["total"] == len(want_hits)
        assert last["facets"] == want_facets
        ids = [h["chunk_id"] for h in hits]
        assert len(ids) == len(set(ids)) and set(ids) == want_hits


def _document_facets(rows, match, filters) -> dict:
    """Each facet value's number of documents with a paragraph that
    matches and passes every other facet's filter."""
    want = {}
    for facet in ("district", "year", "domain", "issuer", "kind"):
        docs: dict[str, set] = {}
        for r in rows.values():
            if match(r["words"]) and _keep(r, filters, facet):
                values = (r["domains"] if facet == "domain" else r["issuers"] if facet == "issuer"
                          else [r[facet]] if r[facet] else [])
                for v in values:
                    docs.setdefault(str(v), set()).add(r["doc_id"])
        want[facet] = {v: len(ids) for v, ids in docs.items()}
    return want


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: ",".join(
    f"{k}={v if isinstance(v, str) else '|'.join(v)}" for k, v in f.items()) or "none")
def test_the_documents_table_lists_every_document_the_filters_keep(world, filters):
    """``/documents`` and ``search --list``: every document with a paragraph
    the filters keep, once across its pages, with that many paragraphs;
    facet counts in documents (each ignoring its own selection); each
    order holding across pages."""
    from search.catalogue import SORTS, title_key

    rows = world["rows"]
    per_doc = Counter(r["doc_id"] for r in rows.values() if _keep(r, filters))
    docs = {r["doc_id"]: r for r in rows.values()}
    for sort in SORTS:
        listed, page = [], 1
        while True:
            r = world["service"].documents(Options(**filters, page=page, limit=7), sort)
            if not r["documents"]:
                break
            listed.extend(r["documents"])
            page += 1
        assert r["total"] == len(per_doc) and r["paragraphs"] == sum(per_doc.values())
        assert r["facets"] == _document_facets(rows, lambda _: True, filters)
        assert {d["doc_id"]: d["paragraphs"] for d in listed} == dict(per_doc) and len(listed) == len(per_doc)
        if sort == "paragraphs":
            assert [d["paragraphs"] for d in listed] == sorted(per_doc.values(), reverse=True)
        elif sort == "title":
            assert [title_key(d["title"]) for d in listed] == sorted(title_key(d["title"]) for d in listed)
        else:
            def when(d):  # a day as YYYYMMDD, a year alone as YYYY0000, nothing last
                row = docs[d["doc_id"]]
                return int(row["date"].replace("-", "")) if row["date"] else row["year"] * 10000 if row["year"] else None

            dated = [when(d) for d in listed if when(d) is not None]
            assert dated == sorted(dated, reverse=sort == "date")
            assert all(when(d) is None for d in listed[len(dated):])  # the undated last


@pytest.mark.parametrize("q", sorted(QUERIES))
@pytest.mark.parametrize("filters", FILTERS[:3] + FILTERS[4:], ids=lambda f: ",".join(
    f"{k}={v if isinstance(v, str) else '|'.join(v)}" for k, v in f.items()) or "none")
def test_documents_are_counted_and_ordered_by_their_best_paragraph(world, q, filters):
    """The by-document view: every matching document once across its pages,
    with its number of matching paragraphs, in the order of its best
    paragraph; each facet value's count of documents, each facet ignoring
    its own selection (an independent count from the indexer's paragraphs)."""
    rows = world["rows"]
    match = _meant(rows, q, filters)
    want_hits, _ = _expected(rows, match, filters)
    per_doc = Counter(rows[c]["doc_id"] for c in want_hits)
    want_facets = _document_facets(rows, match, filters)
    service = world["service"]
    groups, page = [], 1
    while True:
        r = service.by_document(q, Options(**filters, page=page, limit=6))
        if not r["groups"]:
            break
        groups.extend(r["groups"])
        page += 1
    assert r["total"] == len(want_hits) and r["documents"] == len(per_doc)
    assert r["document_facets"] == want_facets
    assert {g["doc_id"]: g["matches"] for g in groups} == dict(per_doc)
    assert len(groups) == len(per_doc)  # none twice, none lost
    # documents holding every word first (a widened answer's strict part), each
    # part in the order of its best paragraph's score
    strict = {rows[c]["doc_id"] for c in rows if QUERIES[q](rows[c]["words"]) and _keep(rows[c], filters)}
    best = [(g["doc_id"] in strict, g["score"]) for g in groups]
    assert best == sorted(best, reverse=True)
    for g in groups:
        assert 1 <= len(g["hits"]) <= min(2, g["matches"])
        assert all(h["doc_id"] == g["doc_id"] and h["chunk_id"] in want_hits for h in g["hits"])
        assert g["hits"][0]["score"] == g["score"]


@pytest.mark.parametrize("q", sorted(QUERIES))
@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: ",".join(
    f"{k}={v if isinstance(v, str) else '|'.join(v)}" for k, v in f.items()) or "none")
def test_district_by_year_counts_for_the_comparison(world, q, filters):
    """Each district's matches year by year, in paragraphs and in documents:
    every other filter honoured, the district and year selections ignored
    (the comparison shows each district's whole timeline)."""
    rows, match = world["rows"], _meant(world["rows"], q, filters)
    paragraphs: dict = {}
    documents: dict = {}
    others = {k: v for k, v in filters.items() if k not in ("district", "year")}
    for r in rows.values():
        if match(r["words"]) and r["district"] and r["year"] and _keep(r, others):
            key = (r["district"], str(r["year"]))
            paragraphs[key] = paragraphs.get(key, 0) + 1
            documents.setdefault(key, set()).add(r["doc_id"])
    want = {}
    for (d, y), n in paragraphs.items():
        want.setdefault(d, {})[y] = n
    want_docs = {}
    for (d, y), ids in documents.items():
        want_docs.setdefault(d, {})[y] = len(ids)
    service = world["service"]
    assert service.search(q, Options(**filters), pivot=True)["district_years"] == want
    assert service.by_document(q, Options(**filters), pivot=True)["district_years"] == want_docs


QUOTES = {  # quoted: these letters and digits, in this order, in the paragraph (punctuation and spaces aside)
    '"商环境，强区放"': "商环境强区放",  # cuts 营商环境 and 强区放权
    '"营商环境 强区放权"': "营商环境强区放权",  # the text has a comma between them
    '"号文件第3段"': "号文件第3段",
    '"区放权，城中"': "区放权城中",
}


@pytest.mark.parametrize("q", sorted(QUOTES))
def test_a_quote_finds_exactly_the_paragraphs_holding_its_characters(world, q):
    want = {cid for cid, r in world["rows"].items() if QUOTES[q] in r["letters"]}
    answer, hits = _all_pages(world["service"], q, {}, limit=50)
    assert want and answer["total"] == len(want)
    assert {h["chunk_id"] for h in hits} == want
    for h in hits:  # marked where the characters stand, punctuation between them included
        marked = "".join(h["text"][a:b] for a, b in h["spans"])
        assert re.sub(r"\W", "", marked) == QUOTES[q], (h["text"], h["spans"])


@pytest.mark.parametrize("q", ["社区 title:5", "title:37", "标题:生成文件", "教育 OR 养老 title:文件 district:罗湖区",
                               "title:生成文件12"])
def test_title_keeps_the_paragraphs_of_documents_whose_title_holds_every_word(world, q):
    """``title:`` (the advanced form's 标题): the same paragraphs as without
    it, less those of documents whose title lacks one of its words; the
    facets count only what is kept."""
    from search.analysis import words as query_words

    rows, service = world["rows"], world["service"]
    typed = q.split()
    field = next(w for w in typed if w.startswith(("title:", "标题:")))
    plain = " ".join(w for w in typed if w != field)
    wanted = set(query_words(field.partition(":")[2]))
    titles = {r["doc_id"]: set(query_words(r["title"])) for r in rows.values()}
    before = {h["chunk_id"] for h in _all_pages(service, plain, {})[1]} if plain else set(rows)
    want = {c for c in before if wanted <= titles[rows[c]["doc_id"]]}
    last, hits = _all_pages(service, q, {})
    assert want and {h["chunk_id"] for h in hits} == want and last["total"] == len(want)
    if "district:" not in q:  # (a facet's counts ignore its own selection)
        assert sum(last["facets"]["district"].values()) == sum(1 for c in want if rows[c]["district"])


def test_word_counts_and_a_trailing_star_agree_with_the_paragraphs(world):
    """What suggestions rank by (paragraphs whose text holds a word) and
    what ``营商*`` finds (the indexed words starting with 营商)."""
    rows, service = world["rows"], world["service"]
    counts = service.engine.term_counts(VOCAB + ["没有的词"])
    assert counts == {**{w: sum(1 for r in rows.values() if w in r["words"]) for w in VOCAB}, "没有的词": 0}
    starred, hits = _all_pages(service, "营商* district:罗湖区", {})
    want = {c for c, r in rows.items() if "营商环境" in r["words"] and r["district"] == "罗湖区"}
    assert {h["chunk_id"] for h in hits} == want and starred["total"] == len(want)
    assert any("营商环境" in n for n in starred["notes"])
    offered = service.suggest_as_typed("社区 营")["suggestions"]
    assert offered[0] == {"text": "社区 营商环境", "kind": "word", "count": counts["营商环境"]}


def test_every_engine_scores_by_the_products_bm25(world):
    """The score of a one-word query is ``search.ranking``'s BM25 of the
    word in the paragraph, computed here from the indexer's tokens: N, the
    word's paragraphs, the average and this paragraph's length (30 tokens
    at least), its count."""
    from indexer.process import process_file
    from indexer.read import find_files
    from search import ranking
    from search.analysis import index_tokens

    tokens = {c.chunk_id: index_tokens(c.text).words
              for source in find_files(world["corpus"]) for c in process_file(source).chunks}
    n = len(tokens)
    # a paragraph's text counts at least MIN_LENGTH (30) tokens: a stub that only names a word scores no higher than a short sentence
    length = {cid: max(len(t), ranking.MIN_LENGTH) for cid, t in tokens.items()}
    factors = ranking.length_factors(sum(length.values()) / n)
    for word in ("审批", "城中村", "养老"):
        df = sum(1 for t in tokens.values() if word in t)
        weight = ranking.weight(ranking.idf(df, n))
        hits = [h for page in range(1, df // 100 + 2)
                for h in world["service"].search(word, Options(limit=100, page=page))["hits"]]
        assert len(hits) == df, word
        for h in hits:
            t = tokens[h["chunk_id"]]
            want = ranking.score(weight, t.count(word), factors[ranking.fieldnorm_id(length[h["chunk_id"]])])
            assert h["score"] == pytest.approx(want, abs=2e-3), (word, h["chunk_id"])


def test_a_title_word_scores_each_documents_first_paragraph_once(world):
    """A word that stands only in titles finds each such document's first
    paragraph once, scored as that word in the title with its idf counted in
    documents (``ranking.lead_pads``), plus the lift every paragraph of the
    document gets from a query word in its title (``TITLE_BOOST``, idf in
    paragraphs): the title's lengths, averaged over every paragraph."""
    from indexer.process import process_file
    from indexer.read import find_files
    from search import analysis, ranking
    from search.engine import TITLE_BOOST, TITLE_MATCH_WEIGHT

    docs = [process_file(source) for source in find_files(world["corpus"])]
    for d in docs:
        analysis.ensure_analysed(d)
    n = sum(len(d.chunks) for d in docs)
    title = {d.doc_id: list(d.title_tokens.words) for d in docs}
    factors = ranking.length_factors(sum(len(title[d.doc_id]) * len(d.chunks) for d in docs) / n)
    word = "生成"  # 生成文件<n>: in every title, in no paragraph
    assert not any(word in c.text for d in docs for c in d.chunks)
    holding = [d for d in docs if word in title[d.doc_id]]
    lead = ranking.weight(ranking.idf(len(holding), n), TITLE_MATCH_WEIGHT)
    lift = ranking.weight(ranking.idf(sum(len(d.chunks) for d in holding), n), TITLE_BOOST)
    answer, hits = _all_pages(world["service"], word, {}, limit=50)
    assert answer["total"] == len(holding) == len(hits) == len({h["doc_id"] for h in hits})
    first = {d.doc_id: d.chunks[0].chunk_id for d in holding}
    for h in hits:
        assert h["chunk_id"] == first[h["doc_id"]]
        words = title[h["doc_id"]]
        factor = factors[ranking.fieldnorm_id(len(words))]
        want = (ranking.score(lead, words.count(word), factor)
                + ranking.score(lift, words.count(word), factor))
        assert h["score"] == pytest.approx(want, abs=2e-3), (h["title"], words)


def test_the_norm_scale_is_lucenes():
    from search import ranking

    assert [ranking.fieldnorm_id(n) for n in range(41)] == list(range(41))  # exact up to 40
    assert [ranking.fieldnorm_id(n) for n in (41, 42, 43, 56, 59, 60, 2 ** 31)] == [40, 41, 41, 48, 48, 49, 255]
    # Lucene's and tantivy's table, at a few places
    at = ranking.FIELDNORMS.index(983064)
    assert ranking.FIELDNORMS[at - 1:at + 2] == [917528, 983064, 1048600]
    assert ranking.fieldnorm_id(10 ** 6) == at and ranking.FIELDNORMS[-1] == 2013265944
    assert ranking.idf(1, 2) == pytest.approx(0.6931472)


@pytest.mark.parametrize("sort", ["date", "date-asc"])
def test_both_date_orders_hold_across_pages(world, sort):
    rows = world["rows"]
    _, hits = _all_pages(world["service"], "社区 OR 教育 OR 审批", {}, sort=sort, limit=9)

    def key(h):
        r = rows[h["chunk_id"]]
        return r["date"] or (f"{r['year']}" if r["year"] else None)

    keys = [key(h) for h in hits]
    known = [k for k in keys if k]
    assert known == sorted(known, reverse=(sort == "date"))
    assert all(k is None for k in keys[len(known):])  # no year at all: last in both orders
    assert len(hits) == sum(1 for r in rows.values() if {"社区", "教育", "审批"} & r["words"])


@pytest.mark.parametrize("sort", ["date", "date-asc"])
def test_within_one_date_documents_follow_one_another_each_in_reading_order(world, sort):
    """Documents of one date (here: the many that have only a year) one
    after another, by doc_id, each from its first paragraph to its last —
    the same order in every engine, computed here from the indexer alone."""
    rows = world["rows"]
    query = "社区 OR 教育 OR 审批 OR 营商环境"
    _, hits = _all_pages(world["service"], query, {}, sort=sort, limit=9)

    def when(r):  # a day as YYYYMMDD, a year alone as YYYY0000, nothing last
        if r["date"]:
            return int(r["date"].replace("-", ""))
        return r["year"] * 10000 if r["year"] else None

    def expected_key(chunk_id):
        r = rows[chunk_id]
        day = when(r)
        rank = (1, 0) if day is None else (0, -day if sort == "date" else day)
        return rank, r["doc_id"], r["paragraph"], r["part"]

    matching = [cid for cid, r in rows.items() if {"社区", "教育", "审批", "营商环境"} & r["words"]]
    assert [h["chunk_id"] for h in hits] == sorted(matching, key=expected_key)
    ties = {when(rows[c]) for c in matching}
    assert len(ties) < len({rows[c]["doc_id"] for c in matching})  # several documents do share a date here


def test_incremental_add_change_delete(world, tmp_path):
    from indexer.build import build_index
    from search.engines import open_engine

    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(world["corpus"], corpus)
    build([corpus], index, world["engine"])
    held = SearchService(open_engine(index))  # a server's, open across the update
    before = {d["doc_id"]: d["title"] for d in held.documents(Options(limit=100))["documents"]}
    (corpus / "doc000.txt").unlink()
    (corpus / "doc001.txt").write_text("第1号文件改写后的段落，营商环境，持续推进相关工作。\n", encoding="utf-8")
    (corpus / "new.txt").write_text("新文件的段落内容，城中村，稳步扩大覆盖工作。\n", encoding="utf-8")
    report = build_index([corpus], index, progress=False)
    assert (report.added, report.changed, report.removed) == (1, 1, 1)
    rows = _paragraphs(corpus)
    service = SearchService(open_engine(index))
    after = held.documents(Options(limit=100))
    assert after["total"] == len(before) and after["paragraphs"] == len(rows)
    assert {d["doc_id"] for d in after["documents"]} == {r["doc_id"] for r in rows.values()}
    assert {d["title"] for d in after["documents"]} - set(before.values()) == {"新文件的段落内容，城中村，稳步扩大覆盖工作。"}
    for q in QUERIES:
        want, facets = _expected(rows, _meant(rows, q, {}), {})
        for answering in (service, held):  # a server open across the update answers as a fresh one
            r = answering.search(q, Options(limit=0))
            assert r["total"] == len(want) and r["facets"] == facets, q
