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


def _seed_paragraphs() -> list[str]:
    from indexer.process import process_file
    from indexer.read import find_files
    from search import config

    return [c.text for f in find_files(config.default_corpus()) for c in process_file(f).chunks]


EDGE_TEXTS = ["", " ", "\r\n\r\n", "ＡＢＣ 数字政府，營商環境。", "a+b C++ 3.5% -x_y", "区发改局\t区发改局",
              "中华人民共和国行政许可法", "深圳市罗湖区人民政府关于印发《罗湖区推进“放管服”改革的实施方案》的通知",
              "一是二是三是", "🙂乱码鍏ㄩ潰娣卞寲", "第一千二百三十四条", "x" * 300 + "数字政府" * 50]


def test_our_faster_segmenter_cuts_exactly_as_jieba_does():
    """The tighter best-path loop and the remembered sentences must not
    change one word: the same ``(word, start, end)`` as a stock jieba
    tokenizer with the same dictionaries, on every seed paragraph
    (simplified as the analyzer sees it) and on edge cases, the second
    time (from memory) as the first."""
    import jieba

    from search import config, segmenter
    from search.analysis import normalize

    ours = segmenter.tokenizer()
    stock = jieba.Tokenizer()
    stock.tmp_dir, stock.cache_file = ours.tmp_dir, ours.cache_file
    stock.initialize()
    for path in config.dict_files():
        stock.load_userdict(str(path))
    texts = [normalize(t)[0] for t in _seed_paragraphs()] + EDGE_TEXTS
    assert len(texts) > 200
    expected = [list(stock.tokenize(t)) for t in texts]
    assert [segmenter.segment(t) for t in texts] == expected
    assert [segmenter.segment(t) for t in texts] == expected  # remembered
    assert [list(ours.tokenize(t)) for t in texts] == expected  # jieba's own entry point, on our loop


def test_the_indexers_token_tuples_are_the_analyzers_tokens():
    from search.analysis import index_analyzer, index_tokens

    analyzer = index_analyzer()
    for text in _seed_paragraphs() + ["", "  ", "ＡＢＣ 数字政府，營商環境。", "a+b C++ 3.5%"]:
        assert index_tokens(text) == [(t.text, t.pos, t.startchar, t.endchar) for t in analyzer(text)], text


def test_kept_tokens_survive_the_index_and_nothing_else_loads_from_them():
    import pickle

    from search.analysis import pack_tokens, unpack_tokens

    tokens = [("营商", 0, 0, 2), ("营商环境", 0, 0, 4)]
    assert unpack_tokens(pack_tokens(tokens)) == tokens
    assert unpack_tokens(None) is None and unpack_tokens(b"garbage") is None
    # anything but the kept-tokens format is refused, never run or trusted:
    # a pickle that would call a function, a truncated or padded blob
    packed = pack_tokens(tokens)
    assert unpack_tokens(pickle.dumps(print)) is None
    assert unpack_tokens(packed[:-1]) is None and unpack_tokens(packed + b"x") is None
    assert unpack_tokens(pack_tokens([])) == []


def test_text_converted_once_by_the_indexer_gives_the_tokens_converting_again_would(tmp_path):
    """The indexer converts a document's lines to simplified script once and
    the analysis reads that copy: the tokens, exact characters and heading
    tokens must be what converting each text again gives (traditional text,
    full-width Latin, a heading path), and the copy is not sent on."""
    from indexer.process import process_file
    from indexer.read import find_files

    (tmp_path / "doc.txt").write_text(
        "羅湖區深化「放管服」改革實施方案\n第一章　總則\n"
        "為優化營商環境，推進ＡＩ政務服務「一網通辦」，制定本方案。\n"
        "第二條　乾隆年間的檔案與現行規範性文件分開管理。\n", encoding="utf-8")
    doc = process_file(find_files(tmp_path)[0])
    assert doc.title_simplified and all(c.simplified for c in doc.chunks)
    expected = [(analysis.index_tokens(c.text), analysis.exact_chars(c.text),
                 analysis.index_tokens(c.section_text)) for c in doc.chunks]
    title = analysis.index_tokens(doc.title)
    analysis.analyse_document(doc)
    assert [(c.tokens, c.chars, c.section_tokens) for c in doc.chunks] == expected
    assert doc.title_tokens == title
    assert any("ai" in c.tokens.words for c in doc.chunks)
    assert doc.title_simplified is None
    assert all(c.simplified is None and c.section_simplified is None for c in doc.chunks)
