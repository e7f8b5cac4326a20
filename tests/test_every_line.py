"""Every line of body text a user can see in a file is findable: nothing
vanishes as an "empty heading", a list item or a scrape without line breaks;
only an explicit boilerplate rule drops a line, and the summary counts it."""
from __future__ import annotations

import subprocess
import sys

import pytest

from search import config
from search.service import Options, SearchService
from search.engines import open_engine

BENCH_LAW_LINES = [  # shaped like the bench corpus's law texts
    "# 某市户外广告管理条例",
    "第一章 总则",
    "第一条 为了加强户外广告管理，制定本条例。",
    "第二条 有下列行为之一的，由主管部门责令改正：",
    "（一）擅自设置户外广告设施的；",
    "（二）未依法处理举报、投诉的；",
    "（三）篡改登记资料的。",
    "第二章 附则",
]

PLAN_LINES = [
    "罗湖区2017年改革计划",
    "一、深化经济体制改革",
    "（一）深化国资国企改革",
    "推进“秒批”",
    "牵头单位：区国资局",
    "二、深化社会体制改革",
    "（一）推进社区治理改革。完善社区网格化管理，建设智慧社区。",
]

MARKDOWN = """# 营商环境工作清单

- 推行告知承诺
- 开办企业一日办结
1. 建设智慧口岸

| 事项 | 牵头单位 |
|---|---|
| 跨境通关便利化 | 区商务局 |
"""


def _index(tmp_path, files: dict[str, str]):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in files.items():
        (corpus / name).write_text(text, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "indexer.cli", "--corpus", str(corpus), "--index",
                           str(tmp_path / "ix"), "--no-progress"], capture_output=True, text=True,
                          cwd=config.PROJECT_ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    return SearchService(open_engine(tmp_path / "ix")), done.stdout


def _found(service, phrase: str) -> list[str]:
    return [h["text"] for h in service.search(f'"{phrase}"', Options(limit=20))["hits"]]


def test_a_heading_with_nothing_under_it_is_a_paragraph_of_its_own(tmp_path):
    service, _ = _index(tmp_path, {"plan.txt": "\n".join(PLAN_LINES)})
    for line, query in (("（一）深化国资国企改革", "国资国企改革"), ("推进“秒批”", "推进秒批"),
                        ("牵头单位：区国资局", "区国资局")):
        assert line in _found(service, query), line
    # a heading with a paragraph under it stays a heading of that paragraph
    hit = service.search("智慧社区", Options(limit=1))["hits"][0]
    assert hit["section"] == "（一）推进社区治理改革"  # the run-in heading of its own paragraph


def test_enumerated_items_of_a_law_are_paragraphs_not_headings(tmp_path):
    service, _ = _index(tmp_path, {"law.md": "\n".join(BENCH_LAW_LINES)})
    for item, query in (("（一）擅自设置户外广告设施的；", "户外广告设施"), ("（二）未依法处理举报、投诉的；", "处理举报"),
                        ("（三）篡改登记资料的。", "篡改登记资料")):
        assert item in _found(service, query), item
    hit = service.search("篡改登记资料", Options(limit=1))["hits"][0]
    assert hit["section"] == "第一章 总则"


def test_markdown_list_items_and_table_rows_are_findable(tmp_path):
    service, _ = _index(tmp_path, {"list.md": MARKDOWN})
    assert _found(service, "告知承诺") == ["推行告知承诺"]
    assert _found(service, "一日办结") == ["开办企业一日办结"]
    assert _found(service, "智慧口岸") == ["建设智慧口岸"]
    assert _found(service, "跨境通关") == ["跨境通关便利化 | 区商务局"]
    assert not _found(service, "---")


@pytest.mark.parametrize("name,start", [("scrape.txt", "来源：深圳新闻网 "), ("scrape.md", "# 某条例 "),
                                        ("share.txt", "分享到微信 "), ("plain.txt", "")])
def test_a_150000_character_file_without_line_breaks_is_indexed_whole(tmp_path, name, start):
    body = "".join(f"推进第{i}批事项改革，深化放管服。" for i in range(1, 10000))
    opening = "本区推进改革工作，持续深化放管服改革，并且在全区开头推行告知承诺制度。"
    text = start + opening + body[:150_000 - len(start) - len(opening) - 9] + "结尾建设智慧口岸。"
    assert len(text) == 150_000 and "\n" not in text
    service, out = _index(tmp_path, {name: text})
    assert "1 added" in out and "skipped" not in out
    for first_and_last in ("告知承诺", "智慧口岸"):
        assert service.search(first_and_last, Options(limit=1))["total"] == 1


def test_the_summary_counts_lines_dropped_as_boilerplate(tmp_path):
    page = "深化改革通报\n\n本区深化放管服改革，优化营商环境。\n本区推进强区放权。\n责任编辑：张三\n\n分享到：微信\n相关文章：\n"
    service, out = _index(tmp_path, {"news.txt": page})
    assert "3 line(s) dropped as page boilerplate" in out
    assert service.search("张三")["total"] == 0 and service.search("强区放权")["total"] == 1
