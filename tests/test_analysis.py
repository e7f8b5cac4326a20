"""The one analyzer: simplified and traditional meet, offsets point into the original text."""
from search import analysis


def test_simplified_query_word_matches_traditional_text_with_original_offsets():
    text = "推進營商環境改革創新實驗區"
    tokens = list(analysis.index_analyzer()(text))
    query = analysis.words("营商环境")
    assert query == ["营商环境"]
    hits = [t for t in tokens if t.text == "营商环境"]
    assert len(hits) == 1
    assert text[hits[0].startchar:hits[0].endchar] == "營商環境"


def test_phrase_positions_are_consecutive_and_subwords_share_their_word_position():
    tokens = list(analysis.index_analyzer()("深化「放管服」改革，推進營商環境"))
    pos = {t.text: t.pos for t in tokens if not t.subword}
    assert pos["放管服"] == pos["深化"] + 1
    assert pos["改革"] == pos["放管服"] + 1
    assert pos["推进"] > pos["改革"] + 1  # the comma is a break: no phrase runs across it
    sub = [t for t in tokens if t.subword]
    assert {t.text for t in sub} >= {"营商", "环境"}
    assert all(t.pos == pos["营商环境"] for t in sub)


def test_reform_dictionary_keeps_policy_terms_and_districts_whole():
    for term in ("放管服", "强区放权", "营商环境", "光明区", "一件事一次办", "综合授权改革试点"):
        assert analysis.words(term) == [term]


def test_width_and_case_folding_keep_numbers_and_latin_searchable():
    text = "ＣＩＭ＋土地　２０２３年 Ai"
    tokens = list(analysis.index_analyzer()(text))
    texts = [t.text for t in tokens]
    assert "cim" in texts and "2023" in texts and "ai" in texts and "年" in texts
    t = next(t for t in tokens if t.text == "2023")
    assert text[t.startchar:t.endchar] == "２０２３"
