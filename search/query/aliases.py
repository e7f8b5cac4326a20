"""Aliases (``data/aliases.txt``): a word typed also finds its synonyms,
which rank below it. Re-read when the file changes."""
from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path

from .. import analysis, config
from ..engine import AllOf, AnyOf, Phrase, Term


def load_aliases(path: Path | None = None) -> dict[str, tuple[str, ...]]:
    """word → its alternatives, both directions of every ``head = a、b`` line.

    Re-read when the file changes, so an edit reaches a running ``search-web``
    on its next query; a malformed line is skipped with a warning rather than
    failing every search."""
    path = Path(path or config.aliases_file())
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        return {}
    return _parse_aliases(path, stamp)


@lru_cache(maxsize=4)
def _parse_aliases(path: Path, stamp: int) -> dict[str, tuple[str, ...]]:
    table: dict[str, list[str]] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = re.split(r"\s*(?:=|⇄)\s*", line, maxsplit=1)
        if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
            logging.getLogger(__name__).warning("%s:%d: skipped, expected '主词 = 别名、别名': %s", path, number, line)
            continue
        head, rest = parts
        head = analysis.normalize_word(head.strip())
        alts = [analysis.normalize_word(a) for a in re.split(r"[、,，\s]+", rest) if a]
        for alt in alts:
            table.setdefault(head, [])
            if alt not in table[head]:
                table[head].append(alt)
            table.setdefault(alt, [])
            if head not in table[alt]:
                table[alt].append(head)
    return {k: tuple(v) for k, v in table.items()}


SYNONYM_WEIGHT = 0.5  # a paragraph that holds only a synonym ranks below one that holds the word typed


@lru_cache(maxsize=8192)
def _synonym(alt: str):
    """An alias as the node it adds, segmented once per process (the
    dictionary is read once per process too), not on every query."""
    words = analysis.words(alt)
    return Term(words[0], SYNONYM_WEIGHT) if len(words) == 1 else Phrase(tuple(words), SYNONYM_WEIGHT)


def expand_aliases(node, aliases: dict[str, tuple[str, ...]], notes: list[str]):
    """Each word that has aliases becomes "it OR its aliases", the aliases
    weighed ``SYNONYM_WEIGHT``; an alias of several words must appear as a
    sequence. A quoted phrase means those words only: no alias."""
    if isinstance(node, Term):
        key = node.text
        alts = aliases.get(key)
        if not alts:
            return node
        note = f"“{key}” 同时检索其同义词：{'、'.join(alts)}。"
        if note not in notes:
            notes.append(note)
        return AnyOf((node,) + tuple(_synonym(alt) for alt in alts))
    if isinstance(node, AnyOf):
        return AnyOf(tuple(expand_aliases(i, aliases, notes) for i in node.items))
    if isinstance(node, AllOf):
        return AllOf(tuple(expand_aliases(i, aliases, notes) for i in node.items), node.exclude, node.sequence,
                     node.chars)
    return node
