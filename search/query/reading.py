"""When the words as typed find less than a page, read them as the researcher
meant them.

The service first searches what was typed. Only when that finds fewer than
``RELAX_BELOW`` paragraphs does it try, in turn, each reading below, and
keeps one only if it finds more (and says so in a note):

- **the start of a word, a word cut short**: 强区 also finds 强区放权, 放管服改
  finds 放管服改革, ranked below the word as typed (``PREFIX_WEIGHT``);
- **a typo**: a word or a run the index holds nowhere, one character away
  from a dictionary word the index holds often (营商坏境 → 营商环境,
  拉圾分类 → 垃圾分类), with a link to search the typed word after all;
- **partial matching**: the paragraphs holding every word first, then those
  holding most of the query's weight — each word weighed by its idf, so
  the rarest word (the topic) is the last to go and is always kept.

Candidates come from the dictionary (``search.lexicon``), choices from exact
counts, so every engine reads a query the same way.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

from ..engine import AllOf, AnyOf, Filters, Phrase, SearchRequest, Term
from .lexicon import lexicon

RELAX_BELOW = 10  # an answer thinner than a page is read again
PREFIX_WEIGHT = 0.5  # a word the typed one only starts counts half
MAX_EXPANSIONS = 6  # words a start may stand for
TYPO_RATIO = 20  # a correction must be found this many times more often than the typed word
MIN_TYPO_CHARS = 3  # a two-character word one character from another is as often a word of its own (双碳, 双方)
PARTIAL_SHARE = 0.5  # of the query's weight a partial match holds at least
MAX_PARTIAL_ITEMS = 8  # more items than this: only the rarest is required


@dataclass
class Reading:
    """Another reading of the typed tree: what replaces which typed item,
    the notes that say so, and the links that undo a correction."""

    replaced: dict = field(default_factory=dict)  # typed item → its new node
    notes: list[str] = field(default_factory=list)
    links: list[dict] = field(default_factory=list)  # {"note", "links": [{"label", "q", "unfiltered"}]}


class Counts:
    """Exact paragraph counts of query nodes under the given filters, each
    asked once."""

    def __init__(self, engine, filters: Filters):
        self.engine, self.filters = engine, filters
        self._seen: dict = {}

    def know(self, node, total: int) -> None:
        """``node``'s count under the filters, already asked by a search."""
        self._seen[(node, id(None))] = total

    def __call__(self, node, filters: Filters | None = None) -> int:
        key = (node, id(filters))
        if key not in self._seen:
            tree = node if isinstance(node, AllOf) and not node.sequence else AllOf((node,))
            request = SearchRequest.counting(tree, filters if filters is not None else self.filters)
            self._seen[key] = self.engine.search(request).total
        return self._seen[key]


def _run_text(node) -> str | None:
    if isinstance(node, Term):
        return node.text
    if isinstance(node, AllOf) and node.sequence and all(isinstance(i, Term) for i in node.items):
        return "".join(i.text for i in node.items)
    return None


def reread(typed: AllOf, engine, counts: Counts, q: str) -> Reading:
    """The starts and typos in ``typed``'s items (a quoted phrase is exact:
    never read again)."""
    reading = Reading()
    for item in typed.items:
        if isinstance(item, Term):
            _term(item, engine, counts, reading, q)
        elif isinstance(item, AllOf) and item.sequence and all(isinstance(i, Term) for i in item.items):
            _run(item, engine, counts, reading, q)
    return reading


def _expansions(prefix: str, engine, counts: Counts) -> list[tuple[str, int]]:
    candidates = lexicon().starting_with(prefix, 40)
    indexed = engine.known_terms(candidates) if candidates else set()
    known = [w for w in candidates if w in indexed][:MAX_EXPANSIONS * 2]
    if len(known) > 1 and not counts(AllOf((AnyOf(tuple(Term(w) for w in known)),))):
        return []  # none of them under the filters: one count says so (a thin answer asks often)
    found = [(w, counts(Term(w))) for w in known]
    found = [(w, n) for w, n in found if n]
    found.sort(key=lambda x: -x[1])
    return found[:MAX_EXPANSIONS]


def _correction(word: str, typed_count: int, engine, counts: Counts) -> tuple[str, int] | None:
    candidates = lexicon().one_character_away(word)
    known = engine.known_terms(candidates) if candidates else set()
    scored = [(counts(Term(w)), w) for w in candidates if w in known]
    if not scored:
        return None
    best_count, best = max(scored)
    return (best, best_count) if best_count >= max(3, TYPO_RATIO * typed_count) else None


def _quoted(q: str, typed: str) -> str:
    """The query with ``typed`` in quotes: searched as typed, never corrected."""
    return q.replace(typed, f'"{typed}"', 1) if typed in q else f'{q} "{typed}"'


def _corrected(reading: Reading, item, new, typed: str, word: str, q: str) -> None:
    reading.replaced[item] = new
    note = f"已显示“{word}”的结果 · 仍然搜索“{typed}”"
    reading.notes.append(note)
    reading.links.append({"note": note, "links": [{"label": f"仍然搜索“{typed}”", "q": _quoted(q, typed),
                                                   "unfiltered": False}]})


def _term(item: Term, engine, counts: Counts, reading: Reading, q: str) -> None:
    n = counts(item)
    if n >= RELAX_BELOW or len(item.text) < 2:
        return
    starts = _expansions(item.text, engine, counts)
    if starts and sum(c for _, c in starts) > n:
        alternatives = ((item,) if n else ()) + tuple(Term(w, PREFIX_WEIGHT) for w, _ in starts)
        reading.replaced[item] = alternatives[0] if len(alternatives) == 1 else AnyOf(alternatives)
        reading.notes.append(f"“{item.text}”也查找以它开头的词：{'、'.join(w for w, _ in starts)}。")
        return
    if n <= 2 and len(item.text) >= MIN_TYPO_CHARS:
        fixed = _correction(item.text, n, engine, counts)
        if fixed:
            _corrected(reading, item, Term(fixed[0]), item.text, fixed[0], q)


def _run(item: AllOf, engine, counts: Counts, reading: Reading, q: str) -> None:
    """A run typed without spaces (营商坏境, 政府采够, 放管服改)."""
    n = counts(item)
    if n >= RELAX_BELOW:
        return
    text = _run_text(item)
    if _started(item, text, n, engine, counts, reading):
        return
    if n == 0 and len(text) >= MIN_TYPO_CHARS:
        fixes = []  # the whole run one character from a dictionary word, or a word inside it
        whole = _correction(text, 0, engine, counts)
        if whole:
            fixes.append((whole[1], Term(whole[0]), whole[0]))
        words = list(item.items)  # a word inside it, corrected as the run reads best (采够 → 采购, not 采取)
        for k, word in enumerate(words):
            if counts(word) == 0 and len(word.text) >= 2:
                candidates = lexicon().one_character_away(word.text)[:8]
                known = engine.known_terms(candidates) if candidates else set()
                in_run = [(counts(AllOf(tuple(words[:k] + [Term(w)] + words[k + 1:]), sequence=True)), w)
                          for w in candidates if w in known]
                if in_run and max(in_run)[0]:
                    words[k] = Term(max(in_run)[1])
        if words != list(item.items):
            new = AllOf(tuple(words), sequence=True)
            fixes.append((counts(new), new, "".join(w.text for w in words)))
        if fixes:
            found, new, word = max(fixes, key=lambda f: f[0])
            if found > n:
                _corrected(reading, item, new, text, word, q)


def _started(item: AllOf, text: str, n: int, engine, counts: Counts, reading: Reading) -> bool:
    """The run's last word read as the start of longer words (放管服改 →
    放管服改革, 数据安 → 数据安全); True when that finds more."""
    last = item.items[-1].text
    options = []
    for word, _ in _expansions(last, engine, counts) if len(last) <= 2 else []:
        longer = AllOf(item.items[:-1] + (Term(word),), sequence=True)
        found = counts(longer)
        if found:
            options.append((found, longer, text[: -len(last)] + word))
    options.sort(key=lambda x: -x[0])
    options = options[:MAX_EXPANSIONS]
    if options and sum(c for c, _, _ in options) > n:
        alternatives = ((item,) if n else ()) + tuple(o for _, o, _ in options)
        reading.replaced[item] = alternatives[0] if len(alternatives) == 1 else AnyOf(alternatives)
        reading.notes.append(f"“{text}”也查找以它开头的词：{'、'.join(w for _, _, w in options)}。")
        return True
    return False


def replace_items(tree: AllOf, replaced: dict) -> AllOf:
    return AllOf(tuple(replaced.get(i, i) for i in tree.items), tree.exclude, tree.sequence)


# ------------------------------------------------------------------ partial matching


def idf(count: int, total: int) -> float:
    """Lucene's and tantivy's idf, as ``search.ranking`` has it."""
    return math.log(1 + (total - count + 0.5) / (count + 0.5))


def partial(tree: AllOf, counts: Counts, total) -> tuple[AllOf, str] | None:
    """The query loosened to the paragraphs holding the rarest item and at
    least ``PARTIAL_SHARE`` of the items' idf weight (the OR of the smallest
    such sets), and the rarest item's text; None when there is nothing to
    loosen (one item, or only items that match nothing). ``total()``: the
    index's paragraph count, asked only when there is something to weigh."""
    if len(tree.items) == 1 and not (isinstance(tree.items[0], AllOf) and tree.items[0].sequence):
        return None  # one word: nothing to loosen, nothing to count
    unfiltered = Filters()
    items = []
    for item in tree.items:  # a run found nowhere as a run counts by its words, when each is there
        if counts(item, unfiltered) == 0 and isinstance(item, AllOf) and item.sequence \
                and all(counts(word, unfiltered) for word in item.items):
            items.extend(item.items)
        else:
            items.append(item)
    items = list(dict.fromkeys(items))
    if len(items) < 2:
        return None
    found = [(item, counts(item, unfiltered)) for item in items]
    found = [(item, n) for item, n in found if n]
    if not found:
        return None
    paragraphs = total()
    weights = {item: idf(n, paragraphs) for item, n in found}
    rarest = max(weights, key=weights.get)
    others = sorted((i for i in weights if i != rarest), key=weights.get, reverse=True)
    if len(others) > MAX_PARTIAL_ITEMS:
        return AllOf((rarest,), tree.exclude), _label(rarest)
    need = PARTIAL_SHARE * sum(weights.values())
    minimal: list[tuple] = []
    for size in range(0, len(others) + 1):
        for combo in itertools.combinations(others, size):
            if any(set(m) <= set(combo) for m in minimal):
                continue  # a smaller set already holds enough
            if weights[rarest] + sum(weights[i] for i in combo) >= need and len(combo) < len(items) - 1:
                minimal.append(combo)
    if not minimal:
        return None
    alternatives = tuple(AllOf((rarest,) + combo) if combo else rarest for combo in minimal)
    loose = alternatives[0] if len(alternatives) == 1 else AnyOf(alternatives)
    return AllOf((loose,), tree.exclude), _label(rarest)


def _label(node) -> str:
    """What the user typed for an item: a word, a run, a quoted phrase, the
    word an alias group was made for."""
    if isinstance(node, AnyOf):
        return _label(node.items[0])
    if isinstance(node, Phrase):
        return "".join(node.words)
    return _run_text(node) or "".join(_label(i) for i in getattr(node, "items", ()))
