"""Marking what matched, in the paragraph's own script.

Marks come from the paragraph's index tokens, which carry each token's
offsets in the original text, so a simplified query word marks 營商環境 in a
traditional paragraph. A hit brings its tokens back from the index (kept
there when it was analysed); only a text without them is segmented again.
Overlapping matches merge into one mark, so a matched long word is never
marked as a bare sub-word of itself. A phrase is
marked only where its words stand at consecutive positions — the same rule the
engine matched it by — never word by word wherever each one occurs.

This module gives offsets only; ``search.present`` turns them into marks.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from . import analysis
from .engine import AllOf, AnyOf, Exact, Phrase, Term, exact_chars_of

SNIPPET_CHARS = 160


@dataclass
class Marks:
    """What to mark: single words anywhere, phrases only as consecutive runs."""

    words: set[str] = field(default_factory=set)
    phrases: set[tuple[str, ...]] = field(default_factory=set)
    # exact characters (a quote, a run found as typed): marked wherever they
    # stand, whatever the segmenter made of them, punctuation between them included
    exact: set[str] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.words or self.phrases or self.exact)

    @classmethod
    def of(cls, tree) -> "Marks":
        """The positive part of a query tree (excluded words are never marked)."""
        marks = cls()
        if tree is not None:
            for item in tree.items:
                marks._add(item)
        return marks

    def _add(self, node) -> None:
        if isinstance(node, Term):
            self.words.add(node.text)
        elif isinstance(node, Exact):
            self.exact.add(node.chars)
        elif isinstance(node, Phrase):
            if len(node.words) == 1:
                self.words.add(node.words[0])
            elif node.words:
                self.phrases.add(tuple(node.words))
        elif isinstance(node, AllOf) and node.sequence and all(isinstance(i, Term) for i in node.items):
            self.phrases.add(tuple(i.text for i in node.items))
            if exact_chars_of(node):
                self.exact.add(node.chars)
        elif isinstance(node, (AnyOf, AllOf)):
            for item in node.items:
                self._add(item)


def match_spans(text: str, marks: Marks | set[str], tokens=None) -> list[tuple[int, int]]:
    """``tokens``: the text's index tokens ``(text, pos, start, end)``, as a
    hit brings them; None segments the text."""
    if isinstance(marks, (set, frozenset)):
        marks = Marks(set(marks))
    if not marks or not text:
        return []
    spans = analysis.exact_spans(text, marks.exact)
    if tokens is None and (marks.words or marks.phrases):
        # A token can only match where its characters occur: skip the
        # segmenter for paragraphs that cannot match (most of a long document's).
        norm = analysis.normalize_word(text)
        if any(w in norm for w in marks.words) or any(p[0] in norm for p in marks.phrases):
            tokens = analysis.index_tokens(text)
    tokens = tokens or ()
    words = marks.words
    spans += [(start, end) for word, _, start, end in tokens if word in words]
    if marks.phrases:
        at: dict[tuple[int, str], tuple] = {}
        for t in tokens:
            at.setdefault((t[1], t[0]), t)
        for phrase in marks.phrases:
            for word, pos, start, _ in tokens:
                if word != phrase[0]:
                    continue
                last = None
                for k, following in enumerate(phrase[1:], 1):  # a phrase has two words or more
                    last = at.get((pos + k, following))
                    if last is None:
                        break
                else:
                    spans.append((start, last[3]))
    spans.sort()
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def window(text: str, spans: list[tuple[int, int]], size: int = SNIPPET_CHARS) -> tuple[int, int]:
    """Where the excerpt of a hit goes: ``size`` characters around the
    best cluster of matches."""
    if len(text) <= size:
        return 0, len(text)
    if not spans:
        return 0, size
    best, best_count = spans[0][0], -1
    for start, _ in spans:
        lo = max(0, start - size // 4)
        count = sum(1 for s, e in spans if s >= lo and e <= lo + size)
        if count > best_count:
            best, best_count = lo, count
    lo = min(best, len(text) - size)
    return lo, lo + size
