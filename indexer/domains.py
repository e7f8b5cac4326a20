"""Reform domains per paragraph, from the editable rules in ``data/domains.txt``.

A paragraph inherits the domains of its nearest section heading that names one,
and adds the domains its own words clearly belong to (a strong keyword, or two
hits of ordinary ones). Labels are DESIGN's fixed taxonomy; an unknown label in
the rules file is an error, not a silent new facet value.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from search import analysis, config
from search.facets import TAXONOMY



@dataclass(frozen=True)
class DomainRule:
    domain: str
    strong: tuple[str, ...]
    weak: tuple[str, ...]

    @property
    def strong_pattern(self) -> re.Pattern | None:
        """One search for all strong keywords (the same answer as looking for
        each, in one pass over the paragraph)."""
        return _alternation(self.strong)

    @property
    def weak_pattern(self) -> re.Pattern | None:
        return _alternation(self.weak)


@lru_cache(maxsize=256)
def _alternation(words: tuple[str, ...]) -> re.Pattern | None:
    if not words:
        return None
    return re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)))


def parse_rules(text: str, origin: str = "domains") -> tuple[DomainRule, ...]:
    rules = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = re.split(r"[\t ]+", line, maxsplit=1)
        if len(parts) != 2:
            raise ValueError(f"{origin}:{number}: expected '<domain> <keyword>、<keyword>…'")
        domain, words = parts
        if domain not in TAXONOMY:
            raise ValueError(f"{origin}:{number}: unknown domain {domain!r}; use one of {' '.join(TAXONOMY)}")
        strong, weak = [], []
        for word in re.split(r"[、,，\s]+", words):
            if not word:
                continue
            target = strong if word.startswith("!") else weak
            target.append(analysis.to_simplified(word.lstrip("!")))
        rules.append(DomainRule(domain, tuple(strong), tuple(weak)))
    return tuple(rules)


@lru_cache(maxsize=4)
def load_rules(path: Path | None = None) -> tuple[DomainRule, ...]:
    path = Path(path or config.domains_file())
    return parse_rules(path.read_text(encoding="utf-8"), str(path))


def heading_domains(heading_simp: str, rules) -> set[str]:
    """Only strong keywords count in headings: 经济社会发展 in a news sub-title
    does not make every paragraph below it about the economy."""
    return {r.domain for r in rules if r.strong and r.strong_pattern.search(heading_simp)}


def text_domains(text_simp: str, rules) -> set[str]:
    found = set()
    for r in rules:
        if r.strong and r.strong_pattern.search(text_simp):
            found.add(r.domain)
            continue
        # each weak word counted on its own (overlaps included), as the rule
        # file says; the one-pass search only skips paragraphs with none
        if r.weak and r.weak_pattern.search(text_simp) and sum(text_simp.count(w) for w in r.weak) >= 2:
            found.add(r.domain)
    return found


def classify(section_path_simp: list[str], text_simp: str, rules=None, headings: dict | None = None) -> list[str]:
    """``headings``: a document's own memo of its headings' domains (a
    heading is asked about once for every paragraph under it)."""
    rules = rules or load_rules()
    inherited: set[str] = set()
    for heading in reversed(section_path_simp):
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
