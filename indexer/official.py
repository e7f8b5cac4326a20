"""A document's official fields — 文号, 发文机关, 索引号, 文种 — read from its own text.

Researchers cite a government document by these (as gov.cn's 政策文件库 and
北大法宝 list them), and they stand in a few known places: a government
site's header block (``索引号：… 发布机构：…``, ``名称：…``, ``文号：…``), the
文号 line under a notice's title, the issuers before 关于 in a notice's name
(``中共深圳市罗湖区委办公室 深圳市罗湖区人民政府办公室关于印发《…》的通知``),
the lines that open a law (``…国家安全部令第2号公布``, ``…常务委员会第十次
会议通过``) and the signature above the date. Only those places are read: a
文号 or an office named in the body is another document's, or a passing
mention. What none of them says, ``data/doc_number_issuers.tsv`` may (the
issuer a 文号's prefix stands for), and otherwise the field stays empty.

Cues are matched in the simplified lines; what is kept is cut from the
original line (t2s keeps lengths), so names stay in the document's script.
The 文种 is a category, not a name: its simplified label from
``data/kinds.txt``, so both scripts count together.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from search import analysis, config, facets

from . import dates
from .clean import Lines

HEAD_LINES = 12  # a header block, a title and its 文号, a law's opening lines
TAIL_LINES = 8  # the signature and the date under it

# 文号: 代字〔年份〕序号号 — brackets 〔〕 [] () 【】 in either width
DOC_NUMBER = re.compile(
    r"(?P<prefix>[\u4e00-\u9fff]{1,10}(?:（[\u4e00-\u9fff]{1,3}）[\u4e00-\u9fff]{0,4})?)\s*"
    r"[〔\[［【(（]\s*(?P<year>(?:19|20)\d{2})\s*[〕\]］】)）]\s*第?\s*(?P<serial>\d{1,5})\s*号")
# a decree's or an announcement's number: 国务院令第722号, …常务委员会公告第17号
DECREE = re.compile(r"(?P<issuer>[\u4e00-\u9fff][\u4e00-\u9fff、]{1,60}?)(?:令|公告)\s*[（(]?\s*第\s*(?P<serial>[0-9一二三四五六七八九十百零〇]+)\s*号[）)]?")
_LABEL = re.compile(r"(?P<label>索\s*引\s*号|发\s*布\s*机\s*构|发\s*文\s*机\s*关|发\s*文\s*单\s*位|发\s*布\s*单\s*位|"
                    r"制\s*发\s*机\s*关|发\s*文\s*字\s*号|文\s*号|名\s*称|标\s*题|主\s*题\s*分\s*类|"
                    r"[成发印公生]\s*[文布发]\s*日\s*期|施\s*行\s*日\s*期)\s*[:：]\s*")
_LABEL_FIELD = {"索引号": "index_number", "发布机构": "issuers", "发文机关": "issuers", "发文单位": "issuers",
                "发布单位": "issuers", "制发机关": "issuers", "发文字号": "doc_number", "文号": "doc_number",
                "名称": "name", "标题": "name"}
_INDEX_NUMBER = re.compile(r"[0-9A-Za-z][0-9A-Za-z/\-_.]{5,}")
# what an office's name ends with: an issuer is one of these, never a phrase
_OFFICE = re.compile(r"(?:人民政府|政府|办公厅|办公室|委员会|常务委员会|常委会|人民代表大会|人大|政协|"
                     r"国务院|法院|检察院|局|厅|部|署|委|办|院|会|中心|总队|支队|党委|党组|区委|市委|县委|省委|"
                     r"工委|街道办事处|办事处|管委会|管理委员会|领导小组)$")
_MEETING = re.compile(r"第[一二三四五六七八九十百零〇\d]+次[\u4e00-\u9fff]{0,4}会议(?:审议|表决)?$|(?:全体|常务)会议$")
_TERM = re.compile(r"第?[一二三四五六七八九十百零〇\d]+届")
_INNER_BODY = re.compile(r"(?:审判委员会|检察委员会)$")
_NATION = "中华人民共和国"
_WRAP = "（）()〔〕[]【】《》 　\t"
_TRAILING_NOTE = re.compile(r"\s*[（(][^（）()]{1,20}[)）]\s*$")
_SPLIT = re.compile(r"[\s、，,]+")


@dataclass
class Official:
    doc_number: str | None = None
    issuers: list[str] = field(default_factory=list)
    index_number: str | None = None  # 索引号, where a government site gives one
    kind: str | None = None


def _cut(original: str, simplified: str, start: int, end: int) -> str:
    """The span in the document's own script (t2s keeps lengths)."""
    text = original if len(original) == len(simplified) else simplified
    return text[start:end].strip()


def _labelled(original: str, simp: str) -> list[tuple[str, str, str]]:
    """``(field, value, simplified value)`` of each label on a header line
    (several may share one: ``索引号：… 发布机构：…``)."""
    labels = list(_LABEL.finditer(simp))
    found = []
    for k, m in enumerate(labels):
        name = re.sub(r"\s", "", m.group("label"))
        end = labels[k + 1].start() if k + 1 < len(labels) else len(simp)
        start = m.end()
        while start < end and simp[start] in " |\t":  # a table's cells: 文号： | 罗办发〔2017〕1号 |
            start += 1
        value_simp = simp[start:end].strip().strip("|").strip()
        if name in _LABEL_FIELD and value_simp:
            found.append((_LABEL_FIELD[name], _cut(original, simp, start, end).strip().strip("|").strip(), value_simp))
    return found


def _is_office(name: str) -> bool:
    """A name that ends as an office's does, and is more than the ending
    (办公室 alone names no one; 国务院 does)."""
    m = _OFFICE.search(name)
    return bool(m) and (m.start() > 0 or name == "国务院")


def _offices(text: str, simp: str) -> list[str]:
    """The office names ``text`` consists of (``A B``, ``A、B``), in its
    script; [] unless every part is one."""
    parts, at = [], 0
    for piece in _SPLIT.split(simp.strip()):
        if not piece:
            continue
        start = simp.index(piece, at)
        at = start + len(piece)
        if not (2 <= len(piece) <= 40 and _is_office(piece)):
            return []
        parts.append(_cut(text, simp, start, at))
    return parts


def name_issuers(name: str, name_simp: str) -> list[str]:
    """The issuers before 关于 in a document's name
    (``国务院办公厅关于…的通知``, ``最高人民法院、最高人民检察院关于…``)."""
    at = name_simp.find("关于")
    if at < 2:
        return []
    return _offices(name[:at], name_simp[:at])


def _body_of_meeting(simp: str) -> str:
    """The body a meeting belongs to: ``深圳市第七届人民代表大会常务委员会
    第十次会议`` → 深圳市人民代表大会常务委员会; ``最高人民法院审判委员会
    第1820次会议`` → 最高人民法院; ``国务院第N次常务会议`` → 国务院."""
    body = _MEETING.sub("", simp.strip().removeprefix("经"))
    body = re.sub(r"(?:公告|令)$", "", body)
    return _INNER_BODY.sub("", body)


def _issuer_name(name: str, simp: str) -> str | None:
    """An issuer as the facet counts it: without a term (第七届), without
    the country's name before a national body (国务院, not 中华人民共和国
    国务院); None for a name cut short by its source (市九届人大常委会 names
    no city)."""
    at = 0
    if simp.startswith(_NATION) and len(simp) > len(_NATION) + 1:
        at = len(_NATION)
    kept = [(a, b) for a, b in zip(name[at:], simp[at:])] if len(name) == len(simp) else [(b, b) for b in simp[at:]]
    text, text_simp = "".join(a for a, _ in kept), "".join(b for _, b in kept)
    for m in reversed(list(_TERM.finditer(text_simp))):
        text, text_simp = text[:m.start()] + text[m.end():], text_simp[:m.start()] + text_simp[m.end():]
    if not text_simp or text_simp[0] in "市县省区" or not _is_office(text_simp):
        return None
    return text


def law_fields(original: str, simp: str) -> tuple[list[str], list[str], str | None]:
    """``(adopting bodies, publishing bodies, decree number)`` of a law's
    opening line (``dates.acts`` reads its days)."""
    adopted, published, number = [], [], None
    days = list(dates.DAY.finditer(simp))
    for k, m in enumerate(days):
        end = days[k + 1].start() if k + 1 < len(days) else len(simp)
        segment = simp[m.end():end].strip(_WRAP + "自，,、；;")
        for verb, into in (("通过", adopted), ("批准", None), ("公布", published), ("发布", published),
                           ("颁布", published)):
            if not segment.endswith(verb):
                continue
            what = segment[: -len(verb)].strip()
            decree = DECREE.search(what) if into is published else None
            if decree:
                offset = m.end() + (simp[m.end():end].find(what) if what else 0)
                number = number or _cut(original, simp, offset + decree.start(), offset + decree.end())
                what = decree.group("issuer")
            if into is not None and what:
                for piece in re.split(r"[、，,]", what):
                    body = _body_of_meeting(piece.strip())
                    if _is_office(body):
                        into.append(body)
            break
    return adopted, published, number


def signature_issuers(body: Lines) -> list[str]:
    """The offices signed above the date that closes the document."""
    tail_text, tail_simp = body.text[-TAIL_LINES:], body.simplified[-TAIL_LINES:]
    for k in range(len(tail_simp) - 1, -1, -1):
        if dates.only_a_day(tail_simp[k]):
            found = []
            for j in range(k - 1, max(k - 4, -1), -1):
                names = _offices(tail_text[j], tail_simp[j])
                if not names:
                    break
                found = names + found
            return found
    return []


@lru_cache(maxsize=4)
def _prefix_table(path: Path, stamp: int) -> dict[str, list[str]]:
    table: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "\t" in line:
            prefix, issuers = line.split("\t", 1)
            table[prefix.strip()] = [x.strip() for x in issuers.split(",") if x.strip()]
    return table


def prefix_issuers(doc_number_simp: str) -> list[str]:
    """The issuers ``data/doc_number_issuers.tsv`` gives a 文号's 代字."""
    m = DOC_NUMBER.match(doc_number_simp)
    if not m:
        return []
    path = config.data_dir() / "doc_number_issuers.tsv"
    try:
        table = _prefix_table(path, path.stat().st_mtime_ns)
    except OSError:
        return []
    prefix = m.group("prefix")
    return list(table.get(prefix, []))


@lru_cache(maxsize=4)
def _endings(table: tuple) -> list[tuple[str, str]]:
    return sorted(((end, kind) for kind, ends in table for end in ends), key=lambda e: -len(e[0]))


def kinds() -> list[tuple[str, str]]:
    """``(ending, kind)``, the longest ending first (``data/kinds.txt``,
    read by ``search.facets.kinds``)."""
    return _endings(facets.kinds())


# a word ending in 法 that names no law: a method, a practice, a view
_NOT_A_LAW = ("方法", "做法", "看法", "说法", "手法", "用法", "写法", "想法", "算法", "书法", "语法", "办法", "司法", "执法", "立法", "守法", "依法", "违法")


def find_kind(name_simp: str) -> str | None:
    """The 文种 a name ends with, after its notes (（试行）, （2021-2025年）)."""
    name = name_simp.strip().strip("“”\"'《》 ")
    while True:
        shorter = _TRAILING_NOTE.sub("", name)
        if shorter == name:
            break
        name = shorter
    if not name or name.startswith("（原文无标题）"):
        return None
    for ending, kind in kinds():
        if name.endswith(ending):
            if ending == "法" and (name.endswith(_NOT_A_LAW) or len(name) < 3 or len(name) > 40):
                continue
            return kind
    return None


def extract(body: Lines, every: Lines, title: str, title_simp: str) -> Official:
    """``every``: every line of the file (a site's header block is
    boilerplate to the body, evidence here); ``body``: the document's own
    lines (its signature); ``title``: the title found for it."""
    found = Official()
    head_simp, head_text = dates.label_rows(every.simplified[:HEAD_LINES * 2], every.text[:HEAD_LINES * 2])
    head_simp, head_text = head_simp[:HEAD_LINES], head_text[:HEAD_LINES]
    name = name_simp = None
    label_issuers: list[str] = []
    for original, simp in zip(head_text, head_simp):
        for what, value, value_simp in _labelled(original, simp):
            if what == "doc_number" and found.doc_number is None:
                m = DOC_NUMBER.search(value_simp) or DECREE.search(value_simp)
                if m:
                    found.doc_number = _cut(value, value_simp, *m.span())
            elif what == "index_number" and found.index_number is None:
                m = _INDEX_NUMBER.match(value_simp)
                if m:
                    found.index_number = value[m.start():m.end()]
            elif what == "issuers" and not label_issuers:
                label_issuers = _offices(value, value_simp)
            elif what == "name" and name is None:
                name, name_simp = value, value_simp
    if found.doc_number is None:  # a line that is a 文号 alone, under the title
        for original, simp in zip(head_text, head_simp):
            bare = simp.strip().strip(_WRAP)
            m = DOC_NUMBER.fullmatch(bare) or DECREE.fullmatch(bare)
            if m:
                offset = simp.index(bare)
                found.doc_number = _cut(original, simp, offset, offset + len(bare))
                break
    law_adopted: list[str] = []
    law_published: list[str] = []
    for original, simp in zip(head_text, head_simp):
        if dates.acts(simp) is None:
            continue
        adopted, published, number = law_fields(original, simp)
        law_adopted += [b for b in adopted if b not in law_adopted]
        law_published += [b for b in published if b not in law_published]
        if number and found.doc_number is None:
            found.doc_number = number
    # the first place that names any, in this order of trust; a law's issuer
    # is the body that adopted it, a rule's the one that published it
    issuers = ((name_issuers(name, name_simp) if name is not None else []) or label_issuers
               or name_issuers(title, title_simp) or law_adopted or law_published or signature_issuers(body)
               or (prefix_issuers(analysis.to_simplified(found.doc_number)) if found.doc_number else []))
    names = (_issuer_name(n, analysis.to_simplified(n)) for n in issuers)
    found.issuers = list(dict.fromkeys(n for n in names if n))
    found.kind = find_kind(name_simp if name_simp else title_simp)
    return found
