"""What to try when nothing matched: without the filters, without one
word, a spelling the index has (each a note and the queries it names, so a
page makes them links)."""
from __future__ import annotations

from .. import analysis
from ..engine import AllOf, AnyOf, Filters, Phrase, SearchRequest, Term
from .lexicon import lexicon
from .parse import sequences


def suggest(engine, q: str, tree, filters: Filters, parsed) -> list[dict]:
    """What to try when nothing matched, each as a note and the queries it
    names (``links``: label, query, whether without the filters), so a
    page can make them links. A spelling is suggested only if the index
    has it and the dictionary knows it as a word: a fragment the
    segmenter cut out of a longer name (区发改局 → 区发 / 改局) is never
    offered as a word."""
    out = []
    if not filters.is_empty() and tree is not None:
        unfiltered = engine.search(SearchRequest.counting(tree))
        if unfiltered.total:
            out.append({"note": f"加上筛选条件后没有结果；去掉筛选条件可找到 {unfiltered.total} 条。",
                        "links": [{"label": "去掉筛选条件", "q": q, "unfiltered": True}]})
    if tree is not None and len(tree.items) > 1:
        for i, item in enumerate(tree.items):
            rest = AllOf(tree.items[:i] + tree.items[i + 1:], tree.exclude)
            n = engine.search(SearchRequest.counting(rest, filters)).total
            if n:
                dropped = _typed_label(item)
                out.append({"note": f"去掉“{dropped}”可找到 {n} 条。",
                            "links": [{"label": f"去掉“{dropped}”", "q": without(q, dropped),
                                       "unfiltered": False}]})
                break
    # a run typed as one (营商坏境) is looked up whole first, then each
    # word the index does not have
    runs = sequences(tree) if tree is not None else []
    runs += [r for r in _quoted_runs(tree) if r not in runs]  # a quoted typo ("营商坏境") too
    known = engine.known_terms(list(parsed.words) + runs)
    offered: set[str] = set()
    covered: set[str] = set()
    for typed in runs + [w for w in parsed.words if w not in known]:
        if typed in known or typed in covered:
            continue
        candidates = lexicon().one_character_away(typed)[:12]
        there = engine.known_terms(candidates) if candidates else set()
        similar = [w for w in candidates if w in there and w not in offered][:3]
        if not similar:
            continue
        offered.update(similar)
        if typed in runs:  # its words are answered by the run's suggestion
            covered.update(w for w in parsed.words if w in typed)
        out.append({"note": f"索引中没有“{typed}”，您是不是要找：{'、'.join(similar)}？",
                    "links": [{"label": w, "q": _replaced(q, typed, w), "unfiltered": False} for w in similar]})
    if not out:
        out.append({"note": "没有找到匹配的段落；试试更短或更常见的词。", "links": []})
    return out

# -------------------------------------------------------------- document


def _replaced(q: str, typed: str, word: str) -> str:
    """The query with what was typed (in either script) replaced by ``word``."""
    simp = analysis.to_simplified(q)
    at = simp.find(typed)
    if at < 0:
        return word
    base = q if len(simp) == len(q) else simp
    return base[:at] + word + base[at + len(typed):]


def _quoted_runs(tree) -> list[str]:
    """The text of each quoted phrase of several words in a tree."""
    if tree is None:
        return []
    return ["".join(i.words) for i in tree.items if isinstance(i, Phrase) and len(i.words) > 1]


def _typed_label(node) -> str:
    """What the user typed for a query node: a word, a run, a quoted phrase,
    or (an alias group) the word its synonyms were added to."""
    if isinstance(node, Term):
        return node.text
    if isinstance(node, Phrase):
        return "".join(node.words)
    if isinstance(node, AnyOf):
        return _typed_label(node.items[0])
    if isinstance(node, AllOf) and node.sequence:
        return "".join(_typed_label(i) for i in node.items)
    return " ".join(_typed_label(i) for i in node.items)


def without(q: str, dropped: str) -> str:
    """The query without one of its parts (its quotes too)."""
    simp = analysis.to_simplified(q)
    base = q if len(simp) == len(q) else simp
    for form in (f'"{dropped}"', f"“{dropped}”", dropped):
        at = simp.find(form)
        if at >= 0:
            return " ".join((base[:at] + base[at + len(form):]).split())
    return q
