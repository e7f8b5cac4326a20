"""Every alias group in ``data/aliases.txt`` is a true synonym: searching
the group's main word over its known false friends — phrases that share a
word with an alias but mean something else — finds nothing, while each alias
still finds its own use."""
from __future__ import annotations

import pytest

from search.query.aliases import load_aliases
from search.service import Options, SearchService

FALSE_FRIENDS = {
    "放管服": ["优化服务点位设置，方便群众就近办理。", "持续优化服务质量，提升群众满意度。", "简化流程、优化服务是窗口单位的日常要求。"],
    "双区": ["双区域协调发展", "区域驱动发展"],
    "深改委": ["区委全面深化改革领导小组召开第五次会议。"],
    "最多跑一次": ["群众办事一次都不用跑。", "最多跑两次即可办结。"],
    "一件事一次办": ["一次办好的事项清单", "一件事跑多次的问题仍然存在。"],
    "双碳": ["完善碳排放双控制度。", "采用双层碳纤维结构。"],
    "两新": ["推进设备更新改造。", "开展消费品质量提升行动。"],
    "两重": ["服务国家重大战略。", "加强重点领域执法。"],
    "化债": ["依法支持市场化债务重组。", "化解矛盾纠纷，防范债务违约。"],
}
TRUE_USES = {
    "放管服": "深入推进简政放权，强化事中事后监管。",
    "双区": "抢抓双区驱动机遇。",
    "深改委": "区委全面深化改革委员会印发工作要点。",
    "最多跑一次": "推行最多跑1次改革。",
    "一件事一次办": "推进一件事一次办成。",
    "双碳": "积极稳妥推进碳达峰碳中和。",
    "两新": "推动大规模设备更新和消费品以旧换新。",
    "两重": "加快推进国家重大战略实施和重点领域安全能力建设。",
    "化债": "积极稳妥化解地方政府债务风险。",
}
# Each true use stands in this many files: an answer of a page or more is the
# words as typed and their synonyms alone, never read more loosely
# (search.reading), which is what an alias group is held to here.
# The files' titles name no group: a title's words find a document's first
# paragraph, and a false friend must be found by nothing but its text.
TRUE_COPIES = 10


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from indexer.build import build_index
    from search.engines import open_engine

    root = tmp_path_factory.mktemp("aliases")
    corpus = root / "corpus"
    corpus.mkdir()
    for group, texts in FALSE_FRIENDS.items():
        for n, text in enumerate(texts):
            (corpus / f"false-{group}-{n}.txt").write_text(f"第{n}号文件\n\n{text}\n", encoding="utf-8")
    for group, text in TRUE_USES.items():
        for copy in range(TRUE_COPIES):
            (corpus / f"true-{group}-{copy}.txt").write_text(f"第{copy}号文件\n\n{text}\n", encoding="utf-8")
    build_index([corpus], root / "index", progress=False)
    return SearchService(open_engine(root / "index"))


def test_every_alias_group_has_its_false_friends_listed():
    assert set(load_aliases()) >= set(FALSE_FRIENDS)
    for group in FALSE_FRIENDS:
        assert load_aliases()[group], group


@pytest.mark.parametrize("group", sorted(FALSE_FRIENDS))
def test_an_alias_never_finds_a_false_friend_and_still_finds_its_own_use(world, group):
    found = {h["source"] for h in world.search(group, Options(limit=100))["hits"]}
    assert not {s for s in found if s.startswith("false-")}, found
    assert f"true-{group}-0.txt" in found
