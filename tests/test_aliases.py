"""Every alias group in ``data/aliases.txt`` is a true synonym: searching
the group's main word over its known false friends — phrases that share a
word with an alias but mean something else — finds nothing, while each alias
still finds its own use."""
from __future__ import annotations

import pytest

from search.query import load_aliases
from search.service import Options, SearchService

FALSE_FRIENDS = {
    "放管服": ["优化服务点位设置，方便群众就近办理。", "持续优化服务质量，提升群众满意度。", "简化流程、优化服务是窗口单位的日常要求。"],
    "双区": ["双区域协调发展", "区域驱动发展"],
    "深改委": ["区委全面深化改革领导小组召开第五次会议。"],
    "最多跑一次": ["群众办事一次都不用跑。", "最多跑两次即可办结。"],
    "一件事一次办": ["一次办好的事项清单", "一件事跑多次的问题仍然存在。"],
}
TRUE_USES = {
    "放管服": "深入推进简政放权，强化事中事后监管。",
    "双区": "抢抓双区驱动机遇。",
    "深改委": "区委全面深化改革委员会印发工作要点。",
    "最多跑一次": "推行最多跑1次改革。",
    "一件事一次办": "推进一件事一次办成。",
}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from indexer.build import build_index
    from search.engine import open_engine

    root = tmp_path_factory.mktemp("aliases")
    corpus = root / "corpus"
    corpus.mkdir()
    for group, texts in FALSE_FRIENDS.items():
        for n, text in enumerate(texts):
            (corpus / f"false-{group}-{n}.txt").write_text(f"文件{group}{n}\n\n{text}\n", encoding="utf-8")
    for group, text in TRUE_USES.items():
        (corpus / f"true-{group}.txt").write_text(f"文件真{group}\n\n{text}\n", encoding="utf-8")
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
    assert f"true-{group}.txt" in found
