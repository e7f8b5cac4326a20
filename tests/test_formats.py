"""PDF and Word files as researchers receive them (``tests/data/formats``,
made from seed documents by ``tests/data/make_formats.py``): searchable by a
phrase from the body, with the right title, district and year, paragraphs
rebuilt as the author wrote them, and every file not read named in the
report with its reason."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from search.present import contract
from search.service import Options

FORMATS = Path(__file__).parent / "data" / "formats"


@pytest.fixture(scope="module")
def formats(tmp_path_factory):
    from indexer.build import build_index
    from search.engines import open_engine
    from search.service import SearchService

    root = tmp_path_factory.mktemp("formats")
    corpus = root / "corpus"
    shutil.copytree(FORMATS, corpus)
    (corpus / "table.xlsx").write_bytes(b"PK\x03\x04")
    (corpus / "orphan.txt.meta.json").write_text('{"title": "x"}', encoding="utf-8")
    (corpus / "000_longhua.pdf.meta.json").write_text('{}', encoding="utf-8")
    report = build_index([corpus], root / "index", progress=False)
    return {"report": report, "service": SearchService(open_engine(root / "index")), "corpus": corpus,
            "index": root / "index"}


def _ask(formats, q: str, **kw) -> dict:
    return contract(formats["service"].search(q, Options(limit=50, **kw)))


def test_every_file_not_read_is_named_with_its_reason(formats):
    report = formats["report"]
    assert (report.added, report.failed) == (8, 0)
    assert dict(report.skipped) == {
        "2016_legacy.doc": "unsupported format (.doc): convert to .docx or .pdf",
        "notice.wps": "unsupported format (.wps): convert to .docx or .pdf",
        "scan.pdf": "scanned PDF, no text layer",
        "table.xlsx": "unsupported format (.xlsx): the indexer reads .docx .htm .html .markdown .md .pdf .txt",
        "orphan.txt.meta.json": "a metadata sidecar with no document beside it",
    }


def test_a_pdf_is_found_by_a_phrase_with_its_title_district_and_year(formats):
    r = _ask(formats, '"区委深改委-区委改革办"')
    assert r["total"] == 1
    hit = r["hits"][0]
    assert hit["source"] == "000_longhua.pdf"
    assert (hit["title"], hit["district"], hit["year"]) == ("抢抓“双区驱动”机遇 争当先行示范尖兵", "龙华区", 2020)
    assert "<mark>区委深改委-区委改革办</mark>" in hit["snippet"]  # the hyphen that ended a line is kept


def test_a_pdf_gives_back_the_authors_paragraphs_without_page_furniture(formats):
    """Lines joined into the paragraphs of the seed text (no space between
    Chinese characters, none broken at a line's end, none run together), and
    no running head, link or page number left."""
    from indexer.process import process_file
    from indexer.read import find_files
    from search import config

    seed = next(f for f in find_files(config.default_corpus()) if f.rel.startswith("000_"))
    want = {c.text for c in process_file(seed).chunks}
    pdf = next(f for f in find_files(formats["corpus"]) if f.rel == "000_longhua.pdf")
    got = [c.text for c in process_file(pdf).chunks]
    assert len(got) >= len(want) - 1
    assert sum(1 for t in got if t in want) >= len(want) - 1, [t[:40] for t in got if t not in want]
    assert not any("file://" in t or "/5" in t or "PM" in t for t in got)


def test_a_word_file_keeps_its_headings_tables_footnotes_and_title(formats):
    r = _ask(formats, '"不動產統一登記"')
    rows = [h for h in r["hits"] if h["source"] == "003_luohu.docx" and "區規劃國土局" in h["text"]]
    assert rows and rows[0]["text"] == "不動產統一登記 | 區規劃國土局 | 2017年12月"  # one row, cells joined
    hit = rows[0]
    assert (hit["title"], hit["district"], hit["year"]) == ("深圳市羅湖區2017年改革計劃", "罗湖区", 2017)

    note = _ask(formats, '"區委改革辦負責解釋"')["hits"]
    assert [h["section"] for h in note] == ["脚注"]

    # a heading only its style makes one: a sentence, which plain text would take for a paragraph
    styled = formats["service"].search('"釘釘子精神"', Options())["hits"]
    assert [h["section_path"] for h in styled] == [["總體要求：以改革統領全局，紮實推進各項改革任務落地見效。"]]

    # numbered headings typed in the body style are still found by their shape
    body = formats["service"].search("商事登記改革后續監管", Options(limit=50))["hits"]
    paths = [h["section_path"] for h in body if h["source"] == "003_luohu.docx"]
    assert any(len(p) >= 2 and p[-2].startswith("(五)") for p in paths), paths


def test_utf8_misread_as_gbk_or_windows_1252_is_read_again(formats):
    """Whole files of mojibake: the Windows-1252 reading comes back whole;
    the GBK reading lost the bytes GBK has no character for, and the
    characters they were part of are marked 〓, never guessed."""
    latin = _ask(formats, '"一杯咖啡办成事"')["hits"]
    assert latin and latin[0]["source"] == "002_longgang_latin1_mojibake.txt"
    assert (latin[0]["district"], latin[0]["year"]) == ("龙岗区", 2023)
    assert latin[0]["title"].startswith("（原文无标题）“一杯咖啡办成事”服务模式")  # as its seed: no headline
    assert not any("â" in h["text"] or "〓" in h["text"] for h in _ask(formats, "龙岗")["hits"])

    gbk = [h for h in _ask(formats, "光明")["hits"] if h["source"] == "004_guangming_gbk_mojibake.txt"]
    assert gbk and (gbk[0]["district"], gbk[0]["year"]) == ("光明区", 2021)
    assert not any("鍏" in h["text"] or "\ufffd" in h["text"] for h in gbk)
    assert any("〓" in h["text"] for h in gbk)
    report = formats["report"]
    assert report.repairs.misread_lines > 100 and report.repairs.lost_characters > 0
    assert "marked 〓" in report.summary()


def test_a_government_page_keeps_its_article_and_drops_the_site_around_it(formats):
    r = _ask(formats, '"秒批"')
    page = [h for h in r["hits"] if h["source"] == "gov_page_luohu.html"]
    assert page and (page[0]["title"], page[0]["district"], page[0]["year"], page[0]["date"]) == \
        ("罗湖区持续深化“放管服”改革 优化营商环境", "罗湖区", 2019, "2019-06-18")  # the date of 发布时间
    everything = formats["service"].document(page[0]["doc_id"])
    text = "\n".join(p["text"] + " ".join(p["section_path"]) for p in everything["paragraphs"])
    assert len(everything["paragraphs"]) == 3 and "网上可办率" in text
    for furniture in ("当前位置", "无障碍", "长者模式", "站内搜索", "政务公开", "发布时间", "字号", "打印本页",
                      "分享到", "相关文章", "福田区", "主办", "ICP", "文锦中路"):
        assert furniture not in text, furniture


def test_markdown_links_become_their_text(tmp_path):
    from indexer.process import process_file
    from indexer.read import find_files

    (tmp_path / "a.md").write_text("# 通知\n\n详见[《罗湖区营商环境改革方案》](http://www.szlh.gov.cn/a.html)和"
                                   "![示意图](map.png)。\n\n- 列表一项：推进[秒批](x)\n", encoding="utf-8")
    texts = [c.text for c in process_file(find_files(tmp_path)[0]).chunks]
    assert texts == ["详见《罗湖区营商环境改革方案》和示意图。", "列表一项：推进秒批"]


def test_the_files_own_date_stands_in_only_when_the_text_names_none(tmp_path):
    """The PDF was printed on another day than its text's 2020-05-14: the
    text wins. A Word file whose text names no day takes its creation day."""
    import datetime

    import docx

    from indexer.process import process_file
    from indexer.read import find_files

    shutil.copy(FORMATS / "000_longhua.pdf", tmp_path / "000_longhua.pdf")
    document = docx.Document()
    document.core_properties.created = datetime.datetime(2019, 3, 1, 9, 30)
    document.add_paragraph("龙岗区关于推进基层治理改革的通知")
    document.add_paragraph("各街道办事处：现将基层治理改革有关事项通知如下。")
    document.save(tmp_path / "notice.docx")
    docs = {f.rel: process_file(f) for f in find_files(tmp_path)}
    assert (docs["000_longhua.pdf"].date, docs["000_longhua.pdf"].year) == ("2020-05-14", 2020)
    assert (docs["notice.docx"].date, docs["notice.docx"].year) == ("2019-03-01", 2019)


def test_damaged_pdf_and_word_files_are_skipped_with_their_reason(tmp_path):
    from indexer.build import build_index

    corpus = tmp_path / "c"
    corpus.mkdir()
    good = (FORMATS / "000_longhua.pdf").read_bytes()
    (corpus / "cut.pdf").write_bytes(good[: len(good) // 3])
    (corpus / "empty.pdf").write_bytes(b"")
    (corpus / "zip.docx").write_bytes(b"PK\x03\x04 not really")
    (corpus / "text.docx").write_text("一份改名为 docx 的文本", encoding="utf-8")
    (corpus / "ok.txt").write_text("标题\n\n深化放管服改革。\n", encoding="utf-8")
    report = build_index([corpus], tmp_path / "ix", progress=False)
    reasons = dict(report.skipped)
    assert report.added == 1 and report.failed == 0, report.summary()
    assert set(reasons) == {"cut.pdf", "empty.pdf", "zip.docx", "text.docx"}
    assert reasons["zip.docx"].startswith("damaged DOCX") and reasons["text.docx"].startswith("damaged DOCX")
    assert reasons["empty.pdf"].startswith("damaged PDF") or reasons["empty.pdf"] == "empty file"


def test_search_index_reports_the_unsupported_files_and_exits_zero(tmp_path):
    corpus = tmp_path / "c"
    shutil.copytree(FORMATS, corpus)
    out = subprocess.run([sys.executable, "-m", "indexer.cli", "--corpus", str(corpus), "--index", str(tmp_path / "ix")],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "8 added" in out.stdout
    assert "2016_legacy.doc: unsupported format (.doc): convert to .docx or .pdf" in out.stdout
    assert "scan.pdf: scanned PDF, no text layer" in out.stdout
