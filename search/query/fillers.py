"""What a researcher means, read from the query tree before it is searched.

Each rule here is a small function from a tree (``search.query``'s) to a
tree, with the note that tells the user what was read differently. The
rules that need the index (spelling, the start of a word, places) ask the
engine through the service; these do not.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from .. import analysis, config
from ..engine import AllOf, AnyOf, Term


def _word_list(path: Path) -> frozenset[str]:
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        return frozenset()
    return _read_words(path, stamp)


@lru_cache(maxsize=8)
def _read_words(path: Path, stamp: int) -> frozenset[str]:
    words = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        word = line.split("#", 1)[0].strip()
        if word:
            words.add(analysis.normalize_word(word))
    return frozenset(words)


def fillers() -> frozenset[str]:
    """Words that name no topic (``data/fillers.txt``: 如何, 哪些, 进展 …),
    read again when the file changes."""
    return _word_list(config.data_dir() / "fillers.txt")


def set_aside_fillers(tree: AllOf | None, words: frozenset[str] | None = None) -> tuple[AllOf | None, list[str]]:
    """The tree without its filler words, and the words set aside.

    A filler typed on its own (``营商环境 进展``) is dropped; one inside a run
    typed without spaces (``如何优化营商环境``) splits the run where it stood,
    and the pieces stay runs (``优化营商环境``). Quoted phrases and
    exclusions are kept as typed. A query made of nothing but fillers is
    searched as it is."""
    if tree is None:
        return tree, []
    words = fillers() if words is None else words
    removed: list[str] = []
    items = [piece for item in tree.items for piece in _without(item, words, removed)]
    if not items or not removed:
        return tree, []
    return AllOf(tuple(items), tree.exclude, tree.sequence), list(dict.fromkeys(removed))


def _without(node, words: frozenset[str], removed: list[str]) -> list:
    """The parts of ``node`` left when its fillers go: a list of required
    nodes (empty when the node was a filler)."""
    if isinstance(node, Term):
        if node.text in words:
            removed.append(node.text)
            return []
        return [node]
    if isinstance(node, AllOf) and node.sequence:
        runs: list[list] = [[]]
        for item in node.items:
            if isinstance(item, Term) and item.text in words:
                removed.append(item.text)
                runs.append([])
            else:
                runs[-1].append(item)
        return [run[0] if len(run) == 1 else AllOf(tuple(run), sequence=True) for run in runs if run]
    if isinstance(node, AnyOf):
        options = []
        for item in node.items:
            kept = _without(item, words, removed)
            if kept:
                options.append(kept[0] if len(kept) == 1 else AllOf(tuple(kept)))
        return [AnyOf(tuple(options))] if len(options) > 1 else options
    return [node]  # a quoted phrase, a group: as typed


def fillers_note(removed: list[str]) -> str:
    return f"{'、'.join(f'“{w}”' for w in removed)}不指明检索主题，未作为必需的检索词。"

