"""What a search asks beside its words, built by keyword where the request
is made (the CLI's flags, the page's parameters, a script): checked and
canonicalised there, once — the years and the date read as spans, each
district, domain, issuer and 文种 as the index holds it — so nothing
downstream reads them again."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import BadRequest
from ..facets import as_indexed
from .parse import parse_date_span, parse_year

MAX_LIMIT = 100
SORTS = ("relevance", "date", "date-asc")  # date: newest first


@dataclass(kw_only=True)
class Options:
    district: list[str] = field(default_factory=list)  # as typed
    year: list[str] = field(default_factory=list)  # 2020 or 2018-2021
    domain: list[str] = field(default_factory=list)
    issuer: list[str] = field(default_factory=list)  # 发文机关, either script
    kind: list[str] = field(default_factory=list)  # 文种
    date: str = ""  # 2021-03-01..2021-06-30, open at either end; a day, a month or a year
    page: int = 1
    limit: int = 10
    sort: str = "relevance"
    synonyms: bool = True  # False: the words as typed, no alias of data/aliases.txt
    # what the fields above mean, made once (``BadRequest`` when they cannot)
    years: tuple[tuple[int, int], ...] = field(init=False)  # inclusive spans
    districts: tuple[tuple[str, bool], ...] = field(init=False)  # ``facets.as_indexed``: (value, known)
    domains: tuple[tuple[str, bool], ...] = field(init=False)
    issuers: tuple[tuple[str, bool], ...] = field(init=False)
    kinds: tuple[tuple[str, bool], ...] = field(init=False)
    date_span: tuple[str, str] | None = field(init=False)  # inclusive ISO days

    def __post_init__(self):
        if self.sort not in SORTS:
            raise BadRequest(f"sort must be one of {', '.join(SORTS)}")
        if self.page < 1:
            raise BadRequest("page must be 1 or more")
        if not 0 <= self.limit <= MAX_LIMIT:
            raise BadRequest(f"limit must be between 0 and {MAX_LIMIT}")
        spans = []
        for y in self.year:
            if not y:
                continue
            span = parse_year(str(y))
            if span is None:
                raise BadRequest(f"year must look like 2020 or 2018-2021, not {y!r}")
            spans.append(span)
        self.years = tuple(spans)
        self.districts = tuple(as_indexed("district", d) for d in self.district if d)
        self.domains = tuple(as_indexed("domain", d) for d in self.domain if d)
        self.issuers = tuple(as_indexed("issuer", i) for i in self.issuer if i)
        self.kinds = tuple(as_indexed("kind", k) for k in self.kind if k)
        self.date_span = None
        if self.date and self.date.strip():
            self.date_span = parse_date_span(self.date)
            if self.date_span is None:
                raise BadRequest(f"date must look like 2021-03-01..2021-06-30 (either end may be left open), "
                                 f"2021-03 or 2021, not {self.date!r}")
