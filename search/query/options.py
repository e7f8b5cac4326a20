"""What a search asks beside its words: the filters as typed at the edge
(the CLI's flags, the page's parameters), the page and the order."""
from __future__ import annotations

from dataclasses import dataclass, field

MAX_LIMIT = 100
SORTS = ("relevance", "date", "date-asc")  # date: newest first


@dataclass
class Options:
    district: list[str] = field(default_factory=list)
    year: list[str] = field(default_factory=list)
    domain: list[str] = field(default_factory=list)
    page: int = 1
    limit: int = 10
    sort: str = "relevance"
    synonyms: bool = True  # False: the words as typed, no alias of data/aliases.txt
