"""003 is traditional Chinese with pinyin after almost every character and ~20 GBK mojibake runs."""
import re

from indexer import repair
from tests.conftest import SEEDS

RAW_003 = (SEEDS / "003_3c0b11c1ebd16181.txt").read_text(encoding="utf-8")


def test_pinyin_annotations_are_gone_from_003():
    text = repair.repair(RAW_003)
    assert RAW_003.count("區(qū)") > 100
    assert "(qū)" not in text and "(fā)" not in text
    assert not re.search(r"\([a-zü]*[āáǎàēéěèīíǐìōóǒòūúǔù][a-zü]*\)", text)
    assert "羅湖區人民政府辦公室" in text


def test_real_parentheses_survive_annotation_stripping():
    text = repair.repair(RAW_003)
    assert "(牽頭單位:區編辦、區法制辦)" in text
    assert repair.strip_annotations("區(qū)委(政府)督查室") == "區委(政府)督查室"


def test_mojibake_runs_in_003_are_repaired():
    report = repair.RepairReport()
    text = repair.repair(RAW_003, report)
    for heading in [
        "（一）以問題和需求為導向,讓改革更精準",
        "（四）以黨政一把手親自抓,讓改革更扎實",
        "（一）強區放權體制機制改革",
        "（四）基層治理體系與治理能力現代化改革",
        "（一）棚戶區改造政策模式及推進機制深化改革",
        "（一）加強組織領導",
    ]:
        assert heading in text
    assert report.mojibake_runs >= 15
    for junk in ("?。", "ㄒ唬", "┮", "詥栴"):
        assert junk not in text


def test_text_without_damage_is_untouched():
    clean = "深化“放管服”改革(牽頭單位:區編辦)。Is it ok? 是的?"
    assert repair.repair(clean) == clean


def test_whole_lines_of_utf8_misread_are_read_again_and_clean_text_is_left_alone():
    from indexer.repair import RepairReport, repair_misread

    text = "全面深化放管服改革，优化营商环境。"
    as_gbk = text.encode("utf-8").decode("gbk", errors="replace")
    as_1252 = text.encode("utf-8").decode("cp1252", errors="replace")
    report = RepairReport()
    assert repair_misread("标题\n" + as_1252.replace("\ufffd", ""), report).startswith("标题\n全")
    fixed = repair_misread(as_gbk, report)
    assert "深化" in fixed and "营商环境" in fixed and "鍏" not in fixed
    for clean in ("深圳市羅湖區2017年改革計劃", "Grüße, café, naïve — “quoted”", "鍾靈毓秀，錦繡河山", "abc"):
        assert repair_misread(clean) == clean
