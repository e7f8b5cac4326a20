"""A document's date is the one its own text states: a PDF printed today or a
Word file made from a template does not file a 2025 report under 2026, a
law is dated the day it was published (not passed, not in force), and a
line that records such a day is never a heading."""
from __future__ import annotations

import datetime
import os
import shutil
from pathlib import Path

import pytest

from indexer import dates
from indexer.build import build_index
from indexer.process import FileNotes, process_file
from indexer.read import find_files

FORMATS = Path(__file__).parent / "data" / "formats"
LAWS = Path(__file__).parent / "data" / "laws"  # the opening of two bench-corpus law files


def _processed(folder: Path) -> dict:
    out = {}
    for source in find_files(folder):
        notes = FileNotes()
        doc = process_file(source, notes=notes)
        out[source.rel] = (doc, [w for _, w in notes.warnings])
    return out


def _word_file(path: Path, lines: list[str], created: datetime.datetime | None = None) -> None:
    import docx

    document = docx.Document()  # python-docx's template: created 2013-12-23 unless set
    if created:
        document.core_properties.created = created
    for line in lines:
        document.add_paragraph(line)
    document.save(path)


def test_a_printed_work_report_is_dated_by_its_opening_line_not_the_day_it_was_printed(tmp_path):
    """Printed to PDF by Chromium (its metadata: the day of printing); the
    text opens with the day the report was delivered."""
    shutil.copy(FORMATS / "2025_hebei_work_report.pdf", tmp_path)
    doc, warnings = _processed(tmp_path)["2025_hebei_work_report.pdf"]
    assert (doc.date, doc.year, doc.date_source) == ("2025-01-13", 2025, "text")


def test_a_word_file_is_dated_by_its_text_not_by_its_templates_creation_day(tmp_path):
    _word_file(tmp_path / "notice.docx", ["龙华区关于深化营商环境改革的通知", "各街道办事处：现将有关事项通知如下。",
                                          "龙华区人民政府办公室", "2022年3月15日"])
    doc, _ = _processed(tmp_path)["notice.docx"]
    assert (doc.date, doc.year, doc.date_source) == ("2022-03-15", 2022, "text")


def test_a_templates_creation_day_is_never_a_documents_date(tmp_path):
    _word_file(tmp_path / "plain.docx", ["关于推进基层治理改革的意见", "各街道办事处：现将基层治理改革有关事项通知如下。"])
    doc, warnings = _processed(tmp_path)["plain.docx"]
    assert (doc.date, doc.year, doc.date_source) == (None, None, None)
    assert any("2013-12-23" in w and "template" in w for w in warnings), warnings


def test_a_file_date_from_today_or_after_the_file_changed_is_not_taken(tmp_path):
    today = datetime.date.today()
    body = ["关于推进基层治理改革的意见", "各街道办事处：现将有关事项通知如下。"]
    _word_file(tmp_path / "today.docx", body, datetime.datetime.now())  # made to be indexed, as a printed PDF is
    _word_file(tmp_path / "later.docx", body, datetime.datetime(today.year - 1, 6, 1, 9))
    old = datetime.datetime(today.year - 2, 1, 1).timestamp()
    os.utime(tmp_path / "later.docx", (old, old))  # the file was last changed before it was "created"
    made = _processed(tmp_path)
    later, warnings = made["later.docx"]
    assert later.date is None and any("later than the file" in w for w in warnings)
    made_today, warnings = made["today.docx"]
    assert made_today.date is None and any("today, the day the file was made here" in w for w in warnings)


def test_a_plausible_file_date_stands_in_when_the_text_names_none(tmp_path):
    _word_file(tmp_path / "notice.docx", ["龙岗区关于推进基层治理改革的通知", "各街道办事处：现将基层治理改革有关事项通知如下。"],
               datetime.datetime(2019, 3, 1, 9, 30))
    doc, _ = _processed(tmp_path)["notice.docx"]
    assert (doc.date, doc.year, doc.date_source) == ("2019-03-01", 2019, "file")


def test_a_file_date_in_another_year_than_the_title_names_is_not_taken(tmp_path):
    _word_file(tmp_path / "plan.docx", ["龙华区2018年改革工作要点", "各街道办事处：现将改革工作要点印发给你们。"],
               datetime.datetime(2021, 5, 6, 9, 30))
    doc, warnings = _processed(tmp_path)["plan.docx"]
    assert (doc.date, doc.year, doc.date_source) == (None, 2018, "title")
    assert any("not in 2018" in w for w in warnings)


def test_the_texts_own_date_wins_over_a_sidecar_and_the_report_says_so(tmp_path):
    shutil.copy(FORMATS / "2025_hebei_work_report.pdf", tmp_path)
    (tmp_path / "2025_hebei_work_report.pdf.meta.json").write_text('{"date": "2025-03-01"}', encoding="utf-8")
    (tmp_path / "undated.txt").write_text("关于推进基层治理改革的意见\n\n各街道办事处：现将有关事项通知如下。\n", encoding="utf-8")
    (tmp_path / "undated.txt.meta.json").write_text('{"date": "2024-03-01"}', encoding="utf-8")
    made = _processed(tmp_path)
    report, warnings = made["2025_hebei_work_report.pdf"]
    assert report.date == "2025-01-13" and any("sidecar date 2025-03-01 not used" in w for w in warnings)
    undated, _ = made["undated.txt"]
    assert (undated.date, undated.date_source) == ("2024-03-01", "sidecar")


@pytest.mark.parametrize("line,expected", [
    ("——2025年1月13日在河北省第十四届人民代表大会第三次会议上", None),  # an opening, not an act
    ("2019年10月22日 中华人民共和国国务院令第722号公布", [("2019-10-22", "published")]),
    ("（2019年10月22日中华人民共和国国务院令第722号公布 自2020年1月1日起施行）",
     [("2019-10-22", "published"), ("2020-01-01", "effective")]),
    ("2020年1月1日 施行", [("2020-01-01", "effective")]),
    ("2019年10月8日，国务院常务会议通过《优化营商环境条例》。", None),  # a news sentence
    ("二〇一九年十月二十二日 国务院令第722号公布", [("2019-10-22", "published")]),
    ("２０２０年１月１日 施行", [("2020-01-01", "effective")]),  # full-width digits, as a 公安部 rule prints them
])
def test_a_line_that_records_acts_is_read_as_days_and_acts(line, expected):
    assert dates.acts(line) == expected


@pytest.mark.parametrize("line,day", [("二〇二二年三月十五日", "2022-03-15"), ("2021-08-26 11:02", "2021-08-26"),
                                      ("（2020年5月14日）", "2020-05-14"), ("2022年2月30日", None),
                                      ("2022年3月15日召开会议", None)])
def test_a_line_that_is_only_a_day_is_read_in_either_numerals(line, day):
    assert dates.only_a_day(line) == day


def test_a_law_is_dated_the_day_it_was_published_and_its_act_lines_are_no_headings(tmp_path):
    """优化营商环境条例: 通过 2019-10-08, 公布 2019-10-22, 施行 2020-01-01; the
    amended 行政诉讼法 is dated by its last amendment (the text in hand)."""
    # renamed: the day in a file's name is weaker evidence than the text's
    shutil.copy(LAWS / "优化营商环境条例(2019-10-22).md", tmp_path / "优化营商环境条例.md")
    shutil.copy(LAWS / "行政诉讼法(2017-06-27).md", tmp_path / "行政诉讼法.md")
    made = _processed(tmp_path)
    law, _ = made["优化营商环境条例.md"]
    assert (law.date, law.year, law.date_source) == ("2019-10-22", 2019, "text")
    first_article = next(c for c in law.chunks if c.text.startswith("第一条"))
    assert first_article.section_path == ["第一章 总则"]
    assert not any("施行" in h or "通过" in h for c in law.chunks for h in c.section_path)
    assert [c.text for c in law.chunks[:3]] == ["2019年10月8日 国务院第66次常务会议通过",
                                                "2019年10月22日 中华人民共和国国务院令第722号公布", "2020年1月1日 施行"]
    amended, _ = made["行政诉讼法.md"]
    assert amended.date == "2017-06-27"


def test_what_the_text_says_of_its_dates_is_kept_apart():
    found = dates.from_text(["优化营商环境条例", "2019年10月8日 国务院第66次常务会议通过",
                             "2019年10月22日 中华人民共和国国务院令第722号公布", "2020年1月1日 施行", "第一章 总则"],
                            ["第一条 为了持续优化营商环境，制定本条例。"])
    assert (found.published, found.adopted, found.effective) == ("2019-10-22", "2019-10-08", "2020-01-01")


def test_the_document_page_and_the_json_say_where_the_date_came_from(tmp_path):
    from search.engines import open_engine
    from search.present import contract
    from search.service import SearchService
    from web.app import create_app

    corpus = tmp_path / "c"
    corpus.mkdir()
    shutil.copy(FORMATS / "2025_hebei_work_report.pdf", corpus)
    (corpus / "plan.txt").write_text("龙华区2018年改革工作要点\n\n各街道办事处：现将改革工作要点印发给你们。\n", encoding="utf-8")
    build_index([corpus], tmp_path / "ix", progress=False)
    service = SearchService(open_engine(tmp_path / "ix"))
    hits = {h["source"]: h for h in contract(service.search("改革"))["hits"]}
    assert hits["2025_hebei_work_report.pdf"]["date_source"] == "text"
    assert (hits["plan.txt"]["date"], hits["plan.txt"]["year"], hits["plan.txt"]["date_source"]) == (None, 2018, "title")
    client = create_app(service).test_client()
    page = client.get(f"/doc/{hits['2025_hebei_work_report.pdf']['doc_id']}").get_data(as_text=True)
    assert "2025-01-13" in page and "日期来源" in page and "正文所载日期" in page
    assert "标题或计划名中的年份" in client.get(f"/doc/{hits['plan.txt']['doc_id']}").get_data(as_text=True)


def test_the_year_facet_files_a_printed_report_under_the_year_it_reports_on(tmp_path):
    """The PDF was printed on 2026-12-02: its year facet is 2025 all the same."""
    corpus = tmp_path / "c"
    corpus.mkdir()
    shutil.copy(FORMATS / "2025_hebei_work_report.pdf", corpus)
    build_index([corpus], tmp_path / "ix", progress=False)
    from search.engines import open_engine
    from search.service import SearchService

    answer = SearchService(open_engine(tmp_path / "ix")).search("营商环境")
    assert answer["facets"]["year"] == {"2025": 1}, answer["facets"]
    assert answer["hits"][0]["date"] == "2025-01-13"
