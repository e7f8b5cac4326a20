"""A query read as the researcher meant it (#21), on the seed documents, in
every engine: a thin answer widened by the query's weightiest words, words
that name no topic set aside, typos read as the word meant, the start of a
word finding the word, titles finding their document, a district typed
among the words filtering by it, pinyin, synonyms below the word typed and
never inside quotes. Each reading says what it did in a note."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from search import config
from search.analysis import to_simplified
from search.service import Options
from tests.conftest import build, engines_under_test
from web.cli import app_for


@pytest.fixture(scope="module")
def client(seed_index):
    return app_for(["--index", str(seed_index)]).test_client()


def _ids(answer) -> list[str]:
    return [h["chunk_id"] for h in answer["hits"]]


def _holds(hit, word: str) -> bool:
    """The hit's paragraph or heading path holds ``word`` (either script)."""
    return word in to_simplified(hit["text"] + " " + " ".join(hit.get("section_path") or []))


# ------------------------------------------------------------------ partial matching


def test_a_thin_answer_goes_on_with_paragraphs_holding_the_rarest_word(service):
    """强区放权 and 成效 stand together in no paragraph: the nine about 强区放权
    follow, the rarer word kept, counted in the total and the facets."""
    answer = service.search("强区放权 成效")
    alone = service.search("强区放权")
    assert answer["total"] == alone["total"] == 9
    assert set(_ids(answer)) == set(_ids(alone))
    note = next(n for n in answer["notes"] if "只含部分检索词" in n)
    assert "含全部检索词的段落 0 段" in note and "都含“强区放权”" in note
    assert sum(answer["facets"]["district"].values()) == answer["total"]


def test_paragraphs_holding_every_word_come_before_those_holding_some(service):
    """典型经验 stands as a run in three paragraphs: they come first, then the
    one holding 典型 and 经验 apart."""
    answer = service.search("典型经验")
    assert answer["total"] == 4
    assert any("连续出现“典型经验”的段落 3 段；以下 1 段分别包含其中各词" in n for n in answer["notes"])
    assert all(_holds(h, "典型经验") for h in answer["hits"][:3])
    assert not _holds(answer["hits"][3], "典型经验")


def test_an_answer_of_a_page_or_more_is_never_widened(service):
    answer = service.search("改革")
    assert answer["total"] >= 10 and not any("部分检索词" in n for n in answer["notes"])


# ------------------------------------------------------------------ words that name no topic


def test_question_words_are_set_aside_and_said_to_be(service):
    asked = service.search("如何推进强区放权")
    plain = service.search("推进强区放权")
    assert asked["total"] == plain["total"] > 0 and _ids(asked) == _ids(plain)
    assert "“如何”不指明检索主题，未作为必需的检索词。" in asked["notes"]


def test_a_query_of_nothing_but_fillers_searches_them(service):
    answer = service.search("工作")
    assert answer["total"] > 0 and not any("不指明检索主题" in n for n in answer["notes"])


def test_the_filler_list_is_a_plain_file_in_data():
    from search.query.fillers import fillers

    assert (config.data_dir() / "fillers.txt").is_file()
    assert {"如何", "怎样", "哪些", "进展", "情况"} <= fillers()


# ------------------------------------------------------------------ typos


def test_a_typo_shows_the_words_results_with_a_link_to_search_it_as_typed(service, client):
    typo = service.search("营商坏境")
    meant = service.search("营商环境")
    assert typo["total"] == meant["total"] > 0 and _ids(typo) == _ids(meant)
    assert "已显示“营商环境”的结果 · 仍然搜索“营商坏境”" in typo["notes"]
    html = client.get("/", query_string={"q": "营商坏境"}).get_data(as_text=True)
    link = re.search(r'<a class="suggestion" href="([^"]+)">仍然搜索“营商坏境”</a>', html)
    assert link, html[:2000]
    as_typed = parse_qs(urlsplit(link.group(1).replace("&amp;", "&")).query)["q"]
    assert as_typed == ['"营商坏境"']
    assert service.search(as_typed[0])["total"] == 0  # quoted: the characters as typed, never corrected


def test_a_two_character_word_is_never_corrected_into_another(service):
    """双碳 is no typo of 双方: a two-character word one character from
    another is as often a word of its own."""
    answer = service.search("双碳")
    assert not any("已显示" in n for n in answer["notes"])


# ------------------------------------------------------------------ parts of words


def test_the_start_of_a_word_finds_the_word_below_the_word_as_typed(service):
    answer = service.search("强区")
    assert "“强区”也查找以它开头的词：强区放权。" in answer["notes"]
    texts = [h["text"] for h in answer["hits"]]
    assert any("強區放權" in t for t in texts)  # the traditional paragraphs too
    literal = [i for i, t in enumerate(texts) if "強區" in t and "強區放權" not in t]
    started = [i for i, t in enumerate(texts) if "強區放權" in t]
    assert literal and max(literal) < min(started)  # the word typed ranks first


def test_a_word_cut_short_finds_the_words_it_starts(service):
    answer = service.search("放管服改")
    assert answer["total"] > 0 and any("也查找以它开头的词：放管服改革" in n for n in answer["notes"])
    assert all(_holds(h, "放管服") or _holds(h, "简政放权") or _holds(h, "放管结合") for h in answer["hits"])


# ------------------------------------------------------------------ titles


def test_a_word_only_in_a_documents_title_finds_its_first_paragraph(service):
    """抢抓 stands in the 龙华 news story's headline and nowhere in its body
    (the 罗湖 plan's body says 搶抓): the story is found by its first
    paragraph, one paragraph for the document."""
    answer = service.search("抢抓")
    assert answer["total"] == 2
    by_title = [h for h in answer["hits"] if h["title"].startswith("抢抓“双区驱动”机遇")]
    assert len(by_title) == 1 and by_title[0]["paragraph"] == 1 and not _holds(by_title[0], "抢抓")
    assert any(_holds(h, "抢抓") for h in answer["hits"])


# ------------------------------------------------------------------ places


def test_a_district_typed_among_the_words_filters_by_it_with_a_chip_to_remove(service, client):
    answer = service.search("放管服 龙华")
    assert answer["total"] == 3 and {h["district"] for h in answer["hits"]} == {"龙华区"}
    assert any("“龙华”按地区筛选：龙华区" in n for n in answer["notes"])
    html = client.get("/", query_string={"q": "放管服 龙华"}).get_data(as_text=True)
    chip = re.search(r'<a class="chip" href="([^"]+)"[^>]*>地区：龙华区', html)
    assert chip and parse_qs(urlsplit(chip.group(1).replace("&amp;", "&")).query) == {"q": ["放管服"]}


def test_a_district_name_the_text_holds_often_stays_a_word(service):
    answer = service.search("罗湖 改革")
    assert answer["total"] >= 10 and not any("按地区筛选" in n for n in answer["notes"])


# ------------------------------------------------------------------ pinyin


@pytest.mark.parametrize("typed,word", [("fangguanfu", "放管服"), ("fang guan fu", "放管服"),
                                        ("yingshanghuanjing", "营商环境"), ("qqfq", "强区放权")])
def test_pinyin_and_initials_find_the_chinese_word(service, typed, word):
    answer = service.search(typed)
    meant = service.search(word)
    assert answer["total"] == meant["total"] > 0
    assert any(f"按“{word}”检索" in n for n in answer["notes"]), answer["notes"]


# ------------------------------------------------------------------ synonyms


def test_a_paragraph_with_the_word_typed_ranks_above_one_with_only_a_synonym(service):
    """深改委 stands in three paragraphs, 全面深化改革委员会 in three more."""
    answer = service.search("深改委", Options(limit=20))
    literal = [_holds(h, "深改委") for h in answer["hits"]]
    assert literal.count(True) == 3 and literal.count(False) == 3
    assert literal == sorted(literal, reverse=True), literal  # every literal one first


def test_quotes_and_the_switch_turn_synonyms_off(service, seed_index, client):
    wide = service.search("深改委")
    quoted = service.search('"深改委"')
    switched = service.search("深改委", Options(synonyms=False))
    assert quoted["total"] == switched["total"] == 3 < wide["total"]
    assert all(_holds(h, "深改委") for h in quoted["hits"])
    assert not any("同义词" in n for n in quoted["notes"] + switched["notes"])
    cli = subprocess.run([sys.executable, "-m", "search.cli", "深改委", "--no-synonyms", "--json", "--index",
                          str(seed_index)], capture_output=True, text=True, timeout=120, cwd=config.PROJECT_ROOT)
    assert json.loads(cli.stdout)["total"] == switched["total"]
    page = client.get("/api/search", query_string={"q": "深改委", "synonyms": "0"}).get_json()
    assert page["total"] == switched["total"]
    html = client.get("/", query_string={"q": "深改委", "synonyms": "0"}).get_data(as_text=True)
    assert 'name="synonyms" value="0" checked' in html


# ------------------------------------------------------------------ length and structure

CHAPTER = Path(__file__).parent / "data" / "laws" / "优化营商环境条例(2019-10-22)-第六章.md"


@pytest.mark.parametrize("engine", engines_under_test())
def test_a_list_stub_naming_the_word_ranks_below_the_provisions_about_it(engine, tmp_path):
    """第六十九条's item (一)违法开展收费、评比、认证等行为 names 收费 in 19
    characters; item (五) says what charging is forbidden and how. BM25
    alone ranked the stub first (a short field is a dense one); a paragraph
    is scored as at least ``ranking.MIN_LENGTH`` tokens long, so the stub
    earns no more than a short provision — and no less: it is still found."""
    from search.engines import open_engine
    from search.service import SearchService

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(CHAPTER, corpus / CHAPTER.name)
    build([corpus], tmp_path / "index", engine)
    hits = SearchService(open_engine(tmp_path / "index")).search("收费")["hits"]
    texts = [h["text"] for h in hits]
    stub = texts.index("(一)违法开展收费、评比、认证等行为；")
    assert texts[0].startswith("(五)没有法律、法规依据") and stub > 0
    assert hits[stub]["score"] < hits[0]["score"]
    listed = SearchService(open_engine(tmp_path / "index")).search("市场主体", Options(limit=4))
    assert "(三)向市场主体收取不合理费用。" not in [h["text"] for h in listed["hits"]]  # 16 characters: out of the top 4


# ------------------------------------------------------------------ quotes: exact characters

LONGHUA = "改革整体呈现“全面发力、重点突破、成效显著、亮点纷呈”的良好局面"  # 001, in traditional script


def test_a_quote_cutting_words_at_both_ends_is_found_and_marked_in_its_own_script(service):
    """Copied from the 龙华 story mid-word (整体 and 突破 are cut), typed in
    simplified script: the traditional paragraph is found and the marks
    cover exactly the fragment, in the paragraph's own characters."""
    answer = service.search('"体呈现“全面发力、重点突"')
    assert answer["total"] == 1 and not answer["notes"]
    hit = answer["hits"][0]
    assert [hit["text"][a:b] for a, b in hit["spans"]] == ["體呈現“全面發力、重點突"]


def test_a_quote_reads_past_punctuation_and_spaces(service):
    answer = service.search('"全面发力 重点突破 成效显著"')
    assert answer["total"] == 1 and "全面發力、重點突破、成效顯著" in answer["hits"][0]["text"]


def test_a_quote_inside_a_longer_word_is_found_where_the_word_stands(service):
    """化营商环境 is the end of 优化营商环境 and 深化营商环境: the segmenter
    never cuts a paragraph there, the quote finds them all."""
    answer = service.search('"化营商环境"', Options(limit=50))
    assert answer["total"] >= 4 and all(_holds(h, "化营商环境") for h in answer["hits"])
    assert any("優化營商環境" in h["text"] for h in answer["hits"])  # the traditional 龙华 story too


def test_a_pasted_sentence_is_found_first_without_a_note_that_its_words_never_stand_together(service):
    answer = service.search(LONGHUA.replace("“", "").replace("”", "").replace("、", ""))
    assert answer["hits"] and LONGHUA in to_simplified(answer["hits"][0]["text"])
    assert not any("连续出现" in n for n in answer["notes"]), answer["notes"]


def test_a_quote_takes_no_synonym_even_cut_short(service):
    """A quote too long for the word budget keeps its first characters, never widened to a synonym."""
    answer = service.search('"放管服"')
    assert answer["total"] and all(_holds(h, "放管服") for h in answer["hits"])


def test_a_whoosh_index_from_before_quotes_answers_them_by_their_words(tmp_path, monkeypatch):
    """Schema 4 (no exact characters): a quote is its words as a phrase, as
    before; updated in place; a rebuild adds the characters."""
    from indexer.build import build_index
    from search.engines import open_engine
    from search.service import SearchService
    from tests.conftest import build_old_whoosh

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("龙华区持续优化营商环境，推进放管服改革。\n", encoding="utf-8")
    build_old_whoosh([corpus], tmp_path / "index", monkeypatch, 4, without=("chars", "first"))
    (corpus / "b.txt").write_text("光明区深化营商环境改革。\n", encoding="utf-8")
    assert build_index([corpus], tmp_path / "index", progress=False).added == 1  # into the old schema
    old = SearchService(open_engine(tmp_path / "index"))
    assert old.search('"营商环境"')["total"] == 2
    assert old.search('"化营商环境"')["total"] == 0  # no characters to match by: 化 is no word here
    build_index([corpus], tmp_path / "index", rebuild=True, progress=False)
    assert SearchService(open_engine(tmp_path / "index")).search('"化营商环境"')["total"] == 2


def test_a_dropped_alias_group_is_named_by_the_word_typed():
    from search.engine import AnyOf, Term
    from search.query.suggest import _typed_label, without

    group = AnyOf((Term("放管服"), Term("简政放权", 0.5), Term("放管结合", 0.5)))
    assert _typed_label(group) == "放管服"
    assert without("放管服 罗湖", _typed_label(group)) == "罗湖"
