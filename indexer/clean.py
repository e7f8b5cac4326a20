"""Dropping page boilerplate with rules a user can extend (``data/boilerplate.txt``).

Rules match the simplified form of a whole line, so one rule written in
simplified script also removes its traditional twin. Footer rules cut the rest
of the document, but only in its second half, so a body paragraph that happens
to start with 分享 is never lost.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from search import analysis, config
from search.text import plain

_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u3000\ufeff]+")


@dataclass
class Rules:
    drop: list[re.Pattern] = field(default_factory=list)
    footer: list[re.Pattern] = field(default_factory=list)
    repeat: list[re.Pattern] = field(default_factory=list)
    element: list[re.Pattern] = field(default_factory=list)  # a web page's blocks, by id or class word


def parse_rules(text: str, origin: str = "rules") -> Rules:
    rules = Rules()
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        kind, _, pattern = line.partition(" ")
        pattern = pattern.strip()
        if kind not in ("drop", "footer", "repeat", "element") or not pattern:
            raise ValueError(f"{origin}:{number}: expected 'drop|footer|repeat|element <regex>'")
        try:
            getattr(rules, kind).append(re.compile(pattern, re.I) if kind == "element" else re.compile(pattern))
        except re.error as exc:
            raise ValueError(f"{origin}:{number}: bad regex: {exc}") from None
    return rules


@lru_cache(maxsize=4)
def load_rules(path: Path | None = None) -> Rules:
    path = Path(path or config.boilerplate_file())
    return parse_rules(path.read_text(encoding="utf-8"), str(path))


def is_page_furniture(tag) -> bool:
    """A web page's block whose id or class names it navigation, a toolbar,
    a footer, …: an ``element`` rule matches one of its words whole."""
    words = [tag.get("id") or ""] + list(tag.get("class") or [])
    rules = load_rules().element
    return any(rule.fullmatch(word) for word in words if word for rule in rules)


def split_lines(text: str) -> list[str]:
    """Lines with normalized spaces, empty ones removed, and no control
    characters: an escape sequence in a scraped page is not text, and would
    drive the terminal of whoever prints the paragraph."""
    out = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = _SPACES.sub(" ", plain(line.replace("\t", " "))).strip()
        if line:
            out.append(line)
    return out


@dataclass(frozen=True)
class Lines:
    """A document's lines and the same lines in simplified script, converted
    once for the whole document and carried together: cues are looked for
    in the simplified lines, text is cut from the original ones."""

    text: list[str]
    simplified: list[str]

    @classmethod
    def of(cls, lines: list[str]) -> "Lines":
        return cls(lines, simplified_lines(lines))

    def only(self, numbers: list[int]) -> "Lines":
        """These lines (by number), in both scripts."""
        return Lines([self.text[i] for i in numbers], [self.simplified[i] for i in numbers])


def simplified_lines(lines: list[str]) -> list[str]:
    joined = analysis.to_simplified("\n".join(lines))
    out = joined.split("\n")
    return out if len(out) == len(lines) else [analysis.to_simplified(x) for x in lines]


# Boilerplate is a short line: a rule never drops a line longer than this,
# however it starts (a page scraped onto one line may begin with 来源：…).
MAX_BOILERPLATE_CHARS = 200


def drop_boilerplate(lines: list[str], simp: list[str], rules: Rules | None = None) -> list[int]:
    """Indexes of the lines to keep."""
    rules = rules or load_rules()
    n = len(lines)
    end = n

    def matches(patterns, s: str) -> bool:
        return len(s) <= MAX_BOILERPLATE_CHARS and any(p.search(s) for p in patterns)

    for i in range(n // 2, n):
        if matches(rules.footer, simp[i]):
            end = i
            break
    repeated = Counter(s for s in simp[:end] if matches(rules.repeat, s))
    keep = []
    for i in range(end):
        s = simp[i]
        if matches(rules.drop, s):
            continue
        if repeated.get(s, 0) >= 2:
            continue
        keep.append(i)
    return keep
