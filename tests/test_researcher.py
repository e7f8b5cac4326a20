"""What a researcher reaches for beyond a list of paragraphs: documents with
their counts, suggestions that lead somewhere, citations, a document's
outline, paging that says where it ends, and exports a spreadsheet opens —
through the web app as ``search-web`` builds it and the CLI as installed."""
from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import zipfile
from urllib.parse import parse_qs, urlsplit

import pytest

from search import present
from search.service import Options
from web.cli import app_for


@pytest.fixture(scope="module")
def client(seed_index):
    app = app_for(["--index", str(seed_index)])
    app.testing = True
    return app.test_client()


def get(client, url, status=200):
    r = client.get(url)
    assert r.status_code == status, (url, r.status_code)
    return r


def run_search(*args, env=None, timeout=120):
    return subprocess.run([sys.executable, "-m", "search.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


# ------------------------------------------------------------ by document


def test_by_document_groups_every_match_under_its_document(service):
    paragraphs = service.export("改革")["rows"]
    per_doc = {}
    for row in paragraphs:
        per_doc[row["doc_id"]] = per_doc.get(row["doc_id"], 0) + 1
    r = service.by_document("改革", Options(limit=10))
    assert r["total"] == len(paragraphs) and r["documents"] == len(per_doc) == 5
    assert {g["doc_id"]: g["matches"] for g in r["groups"]} == per_doc
    assert [g["score"] for g in r["groups"]] == sorted((g["score"] for g in r["groups"]), reverse=True)
    assert sum(r["document_facets"]["district"].values()) == 5  # each document has one district
    by_date = service.by_document("改革", Options(sort="date"))
    dates = [g["date"] or str(g["year"]) for g in by_date["groups"]]
    assert dates == sorted(dates, reverse=True)
    for g in by_date["groups"]:  # a document's best excerpts, whatever the order of documents
        assert [h["score"] for h in g["hits"]] == sorted((h["score"] for h in g["hits"]), reverse=True)


def test_by_document_page_and_api(client):
    html = get(client, "/?q=强区放权&view=documents").get_data(as_text=True)
    assert html.count('<li class="group"') == 1
    assert '<strong id="documents">1</strong>' in html and '<strong id="total">9</strong>' in html
    assert "（按文档计）" in html and "数字为匹配的文档篇数" in html
    data = get(client, "/api/documents?q=放管服").get_json()
    assert data["documents"] == 3 and sum(g["matches"] for g in data["groups"]) == data["total"] == 5
    # marked where the text has it (the others were found through a heading: 深化“放管服”改革 › 一是…)
    assert all("<mark>放管服</mark>" in h["snippet"] for g in data["groups"] for h in g["hits"] if "放管服" in h["text"])
    assert "spans" not in json.dumps(data)  # offsets stay inside; the contract's hits only
    assert get(client, "/?q=放管服&view=tiles", 400)  # a bad view is named, the page still answers


def test_by_document_cli(seed_index):
    out = run_search("强区放权", "--by-document", "--index", str(seed_index))
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("共 9 段，来自 1 篇文档")
    assert "9 段匹配" in out.stdout and out.stdout.count("⟦強區放權⟧") >= 2
    data = json.loads(run_search("放管服", "--by-document", "--json", "--index", str(seed_index)).stdout)
    assert data["documents"] == 3 and [len(g["hits"]) for g in data["groups"]] == [min(2, g["matches"]) for g in data["groups"]]


# ------------------------------------------------------------ suggestions and notes


def test_a_quoted_typo_suggests_the_word_as_a_link(client, service):
    """Typed bare, 营商坏境 shows 营商环境's results (tests/test_understanding.py);
    quoted, it is searched as typed, finds nothing, and offers the word."""
    r = service.search('"营商坏境"')
    assert r["total"] == 0
    assert any("您是不是要找：营商环境" in n for n in r["notes"])
    html = get(client, '/?q="营商坏境"').get_data(as_text=True)
    link = re.search(r'<a class="suggestion" href="([^"]+)">营商环境</a>', html)
    assert link and parse_qs(urlsplit(link.group(1).replace("&amp;", "&")).query)["q"] == ['"营商环境"']
    assert service.search('"营商环境"')["total"] > 0


def test_suggestions_are_whole_dictionary_words_only(service):
    """区发改局 is cut into 区发 / 改局 by the segmenter, so the index has
    改局; it is no word, and is never suggested."""
    for q in ("区发改居", "区发改局 营商坏境", "改居"):
        offered = " ".join(n for n in service.search(q)["notes"] if "您是不是要找" in n or "已显示" in n)
        assert "改局" not in offered and "区发" not in offered, q


def test_dropping_the_filters_is_a_link(client):
    """(A word no paragraph holds beside the others is dropped by partial
    matching itself, with a note: tests/test_understanding.py.)"""
    html = get(client, "/?q=强区放权&district=龙华区&view=documents").get_data(as_text=True)
    unfiltered = re.search(r'<a class="suggestion" href="([^"]+)">去掉筛选条件</a>', html)
    assert unfiltered
    args = parse_qs(urlsplit(unfiltered.group(1).replace("&amp;", "&")).query)
    assert args == {"q": ["强区放权"], "view": ["documents"]}


@pytest.mark.parametrize("q", ["放*管服", "营商?环境", "(放管服 OR 营商环境) AND 龙华", "强区放权~"])
def test_unsupported_syntax_gets_a_note_saying_what_is_supported(service, q):
    r = service.search(q)
    note = next(n for n in r["notes"] if n.startswith("不支持"))
    assert "OR" in note and "district:" in note and "短语" in note
    assert r["total"] > 0  # and the words are still searched


def test_a_trailing_star_is_a_words_start_not_unsupported_syntax(service):
    """#24: 放管服* was read as 放管服 with a note that * is unsupported; a
    trailing * now means every indexed word that starts there."""
    r = service.search("放管*")
    assert not any(n.startswith("不支持") for n in r["notes"])
    assert r["total"] == service.search("放管服")["total"] and any("放管服" in n for n in r["notes"])


# ------------------------------------------------------------ paging


def test_paging_has_first_and_last_and_says_when_past_the_end(client, service):
    total = service.search("改革")["total"]
    pages = -(-total // 10)
    html = get(client, "/?q=改革&page=3").get_data(as_text=True)
    assert 'class="page-first"' in html and f"末页（{pages}）" in html
    html = get(client, f"/?q=改革&page={pages}").get_data(as_text=True)
    assert 'class="page-last"' not in html and 'rel="next"' not in html
    past = get(client, f"/?q=改革&page={pages + 5}").get_data(as_text=True)
    assert f"已经超过最后一页：共 {pages} 页" in past
    back = re.search(r'<p class="past-end"[^>]*>.*?<a href="([^"]+)"', past).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(back).query)["page"] == [str(pages)]


# ------------------------------------------------------------ charts


def test_the_timeline_has_a_slot_for_every_year_between_first_and_last(client, service):
    facet = service.search("改革")["facets"]["year"]
    html = get(client, "/?q=改革").get_data(as_text=True)
    svg = re.search(r'<svg class="chart timeline".*?</svg>', html, re.S).group(0)
    bars = re.findall(r'<g class="bar" data-year="(\d+)" data-count="(\d+)"', svg)
    first, last = min(map(int, facet)), max(map(int, facet))
    assert [int(y) for y, _ in bars] == list(range(first, last + 1))
    assert {y: int(c) for y, c in bars} == {str(y): facet.get(str(y), 0) for y in range(first, last + 1)}


def test_the_comparison_counts_documents_in_the_document_view(client, service):
    html = get(client, "/?q=改革&view=documents&district=罗湖区&district=龙华区").get_data(as_text=True)
    svg = re.search(r'<svg class="chart comparison".*?</svg>', html, re.S).group(0)
    for district in ("罗湖区", "龙华区"):
        strip = re.search(rf'data-district="{district}".*?</g></g>|data-district="{district}".*?(?=<g class="series"|</svg>)',
                          svg, re.S).group(0)
        got = dict(re.findall(r'data-year="(\d+)" data-count="(\d+)"', strip))
        want = service.by_document("改革", Options(district=[district]))["document_facets"]["year"]
        assert {y: int(c) for y, c in got.items()} == want


# ------------------------------------------------------------ citations and the document page


def test_every_hit_and_document_has_a_citation(client, service):
    hit = service.search("强区放权")["hits"][0]
    cite = present.citation(hit)
    # GB/T 7714-2015: issuers. title: 文号[EB]. (published)[cited] — in the document's own script;
    # no hash-named file, no district standing in for the author
    assert cite.startswith("中共深圳市羅湖區委辦公室, 深圳市羅湖區人民政府辦公室. "
                           f"{hit['title']}: 羅辦發〔2017〕1號[EB]. (2017-03-28)[")
    assert cite.endswith(f"第 {hit['paragraph']} 段.") and "003_3c0b11c1ebd16181" not in cite
    html = get(client, "/?q=强区放权").get_data(as_text=True)
    assert html.count('<p class="citation">') == 9
    doc = get(client, f"/doc/{hit['doc_id']}?q=强区放权&at={hit['paragraph']}").get_data(as_text=True)
    assert doc.count('<p class="citation">') == 2  # the document's and the paragraph's


def test_document_page_has_an_outline_and_its_own_search(client, service):
    hit = service.search("强区放权")["hits"][0]
    html = get(client, f"/doc/{hit['doc_id']}?q=强区放权").get_data(as_text=True)
    toc = re.findall(r'<li class="toc-level-(\d)"><a href="#([^"]+)">', html)
    assert len(toc) >= 10 and {"1", "2"} <= {level for level, _ in toc}
    for _, anchor in toc:
        assert f'id="{anchor}"' in html  # every entry leads somewhere on the page
    assert 'action="/doc/' in html and '<strong id="doc-matches">5</strong>' in html


def test_a_documents_url_comes_from_its_sidecar_page_or_text(tmp_path):
    from indexer.build import build_index
    from search.engines import open_engine
    from search.service import SearchService

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("龙华区推进放管服改革。\n", encoding="utf-8")
    (corpus / "a.txt.meta.json").write_text('{"url": "https://www.szlhq.gov.cn/a.html"}', encoding="utf-8")
    (corpus / "b.html").write_text('<html><head><title>光明区放管服</title><link rel="canonical" '
                                   'href="https://www.szgm.gov.cn/b.html"></head><body><p>光明区深化放管服改革。</p>'
                                   '</body></html>', encoding="utf-8")
    (corpus / "c.txt").write_text("罗湖区召开推进会\n罗湖区放管服改革推进会召开。\n原文链接：http://www.szlh.gov.cn/c.html\n", encoding="utf-8")
    (corpus / "d.txt").write_text("南山区放管服。\n", encoding="utf-8")
    (corpus / "d.txt.meta.json").write_text('{"url": "javascript:alert(1)"}', encoding="utf-8")
    report = build_index([corpus], tmp_path / "index", progress=False)
    assert any("url" in w for _, w in report.warnings)  # the bad one is named, and dropped
    service = SearchService(open_engine(tmp_path / "index"))
    urls = {h["source"]: h["url"] for h in service.export("放管服")["rows"]}
    assert urls == {"a.txt": "https://www.szlhq.gov.cn/a.html", "b.html": "https://www.szgm.gov.cn/b.html",
                    "c.txt": "http://www.szlh.gov.cn/c.html", "d.txt": None}
    app = app_for(["--index", str(tmp_path / "index")])
    client = app.test_client()
    doc_id = next(h["doc_id"] for h in service.search("放管服")["hits"] if h["source"] == "a.txt")
    html = client.get(f"/doc/{doc_id}").get_data(as_text=True)
    assert '<a class="original" href="https://www.szlhq.gov.cn/a.html"' in html
    assert "[EB/OL]. " in html and "https://www.szlhq.gov.cn/a.html." in html  # the citation names it


# ------------------------------------------------------------ exports


def test_exports_carry_the_heading_path_and_url_with_chinese_headers(client):
    body = get(client, "/api/export?q=放管服&format=csv&lang=zh").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
    assert len(rows) == 5
    assert {"标题", "地区", "段落序号", "所在章节", "原文网址", "段落原文"} <= set(rows[0])
    assert any(r["所在章节"] == "坚持问题和目标导向 凸显战役战略性改革 › 深化“放管服”改革" for r in rows)
    english = list(csv.DictReader(io.StringIO(get(client, "/api/export?q=放管服&format=csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert {"heading_path", "url", "text"} <= set(english[0])
    data = get(client, "/api/export?q=放管服&format=json").get_json()
    assert all(isinstance(r["heading_path"], list) and "url" in r for r in data["rows"])
    assert get(client, "/api/export?q=放管服&format=csv&lang=fr", 400)


def test_xlsx_export_is_a_workbook_with_every_row(client):
    r = get(client, "/api/export?q=放管服&format=xlsx&lang=zh")
    assert r.mimetype.endswith("spreadsheetml.sheet")
    book = zipfile.ZipFile(io.BytesIO(r.data))
    strings = book.read("xl/sharedStrings.xml").decode("utf-8")
    assert "所在章节" in strings and "深化“放管服”改革" in strings
    sheet = book.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert sheet.count("<row ") == 6  # the header and five paragraphs
    assert "<f>" not in sheet  # text never becomes a formula


def test_cli_export_writes_whole_files_and_refuses_bad_targets(seed_index, tmp_path):
    target = tmp_path / "out.csv"
    out = run_search("放管服", "--export", str(target), "--lang", "zh", "--index", str(seed_index))
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 5 and "所在章节" in rows[0]
    assert "已导出 5 段" in out.stderr
    xlsx = tmp_path / "out.xlsx"
    assert run_search("放管服", "--export", str(xlsx), "--index", str(seed_index)).returncode == 0
    assert zipfile.is_zipfile(xlsx)
    piped = run_search("放管服", "--export", "-", "--index", str(seed_index))
    assert piped.stdout.startswith("doc_id,") and len(list(csv.reader(io.StringIO(piped.stdout)))) == 6
    for bad in (str(tmp_path / "out.txt"), "/no/such/folder/out.csv"):
        out = run_search("放管服", "--export", bad, "--index", str(seed_index))
        assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1, bad
    assert not list(tmp_path.glob(".*tmp"))  # nothing half-written left behind


# ------------------------------------------------------------ --show


def test_show_prints_the_document_with_the_query_marked(seed_index, service):
    hit = service.search("强区放权")["hits"][0]
    out = run_search("强区放权", "--show", hit["doc_id"], "--index", str(seed_index))
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == hit["title"] and "共 95 段，5 段匹配" in out.stdout
    assert out.stdout.count("⟦強區放權⟧") >= 5 and "\x1b[" not in out.stdout
    for heading, text in zip(lines, lines[1:]):  # a heading line never repeats the paragraph under it
        if heading.startswith("〔"):
            last = heading.strip("〔〕").split(" › ")[-1].replace("⟦", "").replace("⟧", "")
            assert not text.split(" ", 1)[-1].replace("⟦", "").replace("⟧", "").startswith(last), (heading, text)
    assert f"§{hit['paragraph']} " in out.stdout
    missing = run_search("--show", "0123456789abcdef", "--index", str(seed_index))
    assert missing.returncode == 1 and "no document 0123456789abcdef" in missing.stderr
    assert run_search("--show", "../../etc", "--index", str(seed_index)).returncode == 2


def test_show_on_a_terminal_goes_through_the_users_pager(seed_index, service, tmp_path):
    import pty

    hit = service.search("强区放权")["hits"][0]
    seen = tmp_path / "paged.txt"
    leader, follower = pty.openpty()
    env = dict(os.environ, PAGER=f"tee {seen} >/dev/null", TERM="xterm")
    proc = subprocess.Popen([sys.executable, "-m", "search.cli", "强区放权", "--show", hit["doc_id"],
                             "--index", str(seed_index)], stdin=follower, stdout=follower, stderr=subprocess.PIPE,
                            env=env)
    os.close(follower)
    while True:
        try:
            if not os.read(leader, 65536):
                break
        except OSError:
            break
    assert proc.wait(timeout=60) == 0
    os.close(leader)
    paged = seen.read_text(encoding="utf-8")
    assert hit["title"] in paged and "強區放權" in paged and "\x1b[1;31m" in paged  # coloured, via the pager


def test_a_whoosh_index_from_before_urls_still_reads_and_updates(tmp_path, monkeypatch):
    """Schema 2 (no url field): searched, shown and updated in place as
    before; only a rebuild adds URLs."""
    from indexer.build import build_index
    from search.engines import open_engine
    from search.service import SearchService
    from tests.conftest import build_old_whoosh

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("龙华区推进放管服改革。\n", encoding="utf-8")
    build_old_whoosh([corpus], tmp_path / "index", monkeypatch, 2, without=("url",))
    (corpus / "b.txt").write_text("光明区深化放管服改革。\n", encoding="utf-8")
    (corpus / "b.txt.meta.json").write_text('{"url": "https://www.szgm.gov.cn/b.html"}', encoding="utf-8")
    report = build_index([corpus], tmp_path / "index", progress=False)  # incremental, into the old schema
    assert report.added == 1, report.summary()
    service = SearchService(open_engine(tmp_path / "index"))
    rows = service.export("放管服")["rows"]
    assert len(rows) == 2 and all(r["url"] is None for r in rows)
    build_index([corpus], tmp_path / "index", rebuild=True, progress=False)
    service = SearchService(open_engine(tmp_path / "index"))
    assert {r["source"]: r["url"] for r in service.export("放管服")["rows"]} == {
        "a.txt": None, "b.txt": "https://www.szgm.gov.cn/b.html"}


def test_an_export_remembers_how_it_was_made_and_is_named_for_it(client):
    """#24: the 检索条件 sheet held the query and the count only, and every
    download was reform-search-export.xlsx. Read back as a researcher's
    tools read it: openpyxl and pandas."""
    import datetime

    import openpyxl
    import pandas

    url = "/api/export?q=改革&format=xlsx&lang=zh&district=罗湖区&year=2017&kind=通知&date=2017-03&sort=date"
    r = get(client, url)
    disposition = r.headers["Content-Disposition"]
    today = datetime.date.today().isoformat()
    assert "filename*=UTF-8''" + "%E6%94%B9%E9%9D%A9%E6%A3%80%E7%B4%A2_%E6%94%B9%E9%9D%A9_" in disposition
    assert disposition.endswith(f"_{today}.xlsx") and 'filename="reform-search-export.xlsx"' in disposition
    book = openpyxl.load_workbook(io.BytesIO(r.data))
    conditions = {row[0]: row[1] for row in book["检索条件"].iter_rows(values_only=True)}
    assert conditions["检索词"] == "改革" and conditions["地区"] == "罗湖区" and conditions["年份"] == "2017"
    assert conditions["文种"] == "通知" and conditions["发布日期范围"] == "2017-03" and conditions["排序"] == "date"
    assert conditions["检索引擎"] in ("whoosh", "tantivy", "opensearch") and conditions["索引版本"]
    assert conditions["导出时间"].startswith(today) and conditions["导出段落"] == conditions["匹配段落"] == 95
    rows = pandas.read_excel(io.BytesIO(r.data), sheet_name="段落")
    assert len(rows) == 95 and {"段落标识", "段落序号", "文号", "发文机关"} <= set(rows.columns)
    csv_rows = pandas.read_csv(io.StringIO(get(client, url.replace("xlsx", "csv")).get_data(as_text=True)))
    assert len(csv_rows) == 95  # one header row, read as it is: CSV keeps no comment line
    data = json.loads(get(client, url.replace("xlsx", "json")).get_data(as_text=True))
    assert data["conditions"]["kind"] == ["通知"] and data["conditions"]["rows"] == 95


# ------------------------------------------------------------ following a topic


def test_every_result_page_has_a_feed_of_its_newest_documents(client):
    """#24: an Atom feed per search (read by feedparser, as a feed reader
    would), its entries the matching documents newest first, each linking
    to its page; the result page links it, in its head and visibly."""
    import feedparser

    html = get(client, "/?q=改革&district=龙华区").get_data(as_text=True)
    link = re.search(r'<link rel="alternate" type="application/atom\+xml"[^>]* href="([^"]+)"', html).group(1)
    assert link.replace("&amp;", "&") == "/feed?q=%E6%94%B9%E9%9D%A9&district=%E9%BE%99%E5%8D%8E%E5%8C%BA"
    assert 'class="feed"' in html
    r = get(client, link.replace("&amp;", "&"))
    assert r.mimetype == "application/atom+xml"
    parsed = feedparser.parse(r.data)
    assert not parsed.bozo and "改革" in parsed.feed.title and "龙华区" in parsed.feed.title
    days = [e.published[:10] for e in parsed.entries]
    assert len(parsed.entries) == 2 and days == sorted(days, reverse=True)  # the two 龙华 documents, newest first
    for entry in parsed.entries:
        assert "/doc/" in entry.link and entry.summary
    everything = feedparser.parse(get(client, "/feed?q=改革").data)
    assert len(everything.entries) == 5
    assert everything.entries[0].title == "（原文无标题）“一杯咖啡办成事”服务模式作为政务服务效能提升典型经验案例获…"  # 2023
    luohu = next(e for e in everything.entries if "羅湖" in e.title)
    assert [a.name for a in luohu.authors] == ["中共深圳市羅湖區委辦公室", "深圳市羅湖區人民政府辦公室"]
    assert get(client, "/feed?q=改革&date=someday", status=400)


def test_search_since_lists_what_is_new_newest_first(seed_index):
    out = run_search("改革", "--since", "2020-01-01", "--json", "--index", str(seed_index))
    assert out.returncode == 0, out.stderr
    days = [h["date"] for h in json.loads(out.stdout)["hits"]]
    assert days and all(d >= "2020-01-01" for d in days) and days == sorted(days, reverse=True)
    assert run_search("改革", "--since", "2020-01-01", "--date", "2021", "--index", str(seed_index)).returncode == 2
    assert run_search("改革", "--since", "2020-01-01..", "--index", str(seed_index)).returncode == 2
