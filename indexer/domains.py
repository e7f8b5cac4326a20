"""Reform domains per paragraph, from the editable rules in ``data/domains.txt``.

A paragraph inherits the domains of its nearest heading that names one (its
document's title is the heading above all), and adds the domains its own
words are about. Its words are read once, longest keyword first, so a
keyword inside a longer one counts only as the longer one: 环境卫生 is not
卫生, and a 排除 (false friend) keyword such as 保密教育 counts for nothing.
A strong keyword scores 2, an ordinary one 1. A domain of the paragraph's
own needs 2 points and at least ``@主导比例`` of the best domain's points —
an incidental mention in a paragraph about something else does not make it
one of its domains — unless it has ``@必取分数`` points on its own.

The numbers and words were set against the hand-labelled sample in
``tests/data/domain_sample.jsonl`` (``python tests/score_domains.py``).
Labels are DESIGN's fixed taxonomy; an unknown label in the rules file is an
error, not a silent new facet value.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from search import analysis, config
from search.facets import TAXONOMY

from .meta import UNTITLED  # such a title names nothing

FALSE_FRIENDS = "排除"  # a line of words that count for no domain
STRONG, WEAK = 2, 1
MIN_POINTS = 2  # one strong keyword or two ordinary ones
SETTINGS = {"@主导比例": ("share", float), "@必取分数": ("sure", int)}


@dataclass(frozen=True)
class Rules:
    table: dict[str, tuple[tuple[str, int], ...]]  # keyword -> (domain, points)…; () for a false friend
    pattern: re.Pattern | None  # every keyword, longest first
    share: float = 0.66
    sure: int = 8

    def hits(self, text_simp: str):
        if self.pattern is None:
            return
        for m in self.pattern.finditer(text_simp):
            yield from self.table[m.group()]

    def points(self, text_simp: str) -> dict[str, int]:
        out: dict[str, int] = {}
        for domain, points in self.hits(text_simp):
            out[domain] = out.get(domain, 0) + points
        return out


def parse_rules(text: str, origin: str = "domains") -> Rules:
    table: dict[str, list[tuple[str, int]]] = {}
    settings: dict[str, float] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = re.split(r"[\t ]+", line, maxsplit=1)
        if len(parts) != 2:
            raise ValueError(f"{origin}:{number}: expected '<domain> <keyword>、<keyword>…'")
        domain, words = parts
        if domain in SETTINGS:
            name, kind = SETTINGS[domain]
            try:
                settings[name] = kind(words.strip())
            except ValueError:
                raise ValueError(f"{origin}:{number}: {domain} needs a number, not {words.strip()!r}") from None
            continue
        if domain not in TAXONOMY and domain != FALSE_FRIENDS:
            raise ValueError(f"{origin}:{number}: unknown domain {domain!r}; use one of {' '.join(TAXONOMY)} "
                             f"(or {FALSE_FRIENDS} for words that count for none)")
        for word in re.split(r"[、,，\s]+", words):
            if not word.lstrip("!"):
                continue
            entries = table.setdefault(analysis.to_simplified(word.lstrip("!")), [])
            if domain != FALSE_FRIENDS:
                entries.append((domain, STRONG if word.startswith("!") else WEAK))
    frozen = {w: tuple(dict.fromkeys(e)) for w, e in table.items()}
    pattern = re.compile("|".join(re.escape(w) for w in sorted(frozen, key=len, reverse=True))) if frozen else None
    return Rules(frozen, pattern, **settings)


@lru_cache(maxsize=4)
def load_rules(path: Path | None = None) -> Rules:
    path = Path(path or config.domains_file())
    return parse_rules(path.read_text(encoding="utf-8"), str(path))


def heading_domains(heading_simp: str, rules: Rules) -> set[str]:
    """Only strong keywords count in headings: 经济社会发展 in a news sub-title
    does not make every paragraph below it about the economy."""
    return {domain for domain, points in rules.hits(heading_simp) if points == STRONG}


def text_domains(text_simp: str, rules: Rules) -> set[str]:
    points = rules.points(text_simp)
    best = max(points.values(), default=0)
    return {d for d, p in points.items() if p >= rules.sure or (p >= MIN_POINTS and p >= rules.share * best)}


def classify(section_path_simp: list[str], text_simp: str, rules: Rules | None = None,
             headings: dict | None = None, title_simp: str = "") -> list[str]:
    """``section_path_simp`` below ``title_simp``, both simplified.
    ``headings``: a document's own memo of its headings' domains (a heading
    is asked about once for every paragraph under it)."""
    rules = rules or load_rules()
    inherited: set[str] = set()
    named = title_simp and not title_simp.startswith(UNTITLED)  # a lost headline names nothing
    for heading in reversed([title_simp, *section_path_simp] if named else section_path_simp):
        if headings is None:
            inherited = heading_domains(heading, rules)
        else:
            inherited = headings.get(heading)
            if inherited is None:
                inherited = headings[heading] = heading_domains(heading, rules)
        if inherited:
            break
    found = inherited | text_domains(text_simp, rules)
    return [d for d in TAXONOMY if d in found]
