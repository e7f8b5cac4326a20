"""The archive as a table of documents: what a researcher browses before
typing anything (the home page, ``/documents``, ``search --list``).

One read of every document's record, its paragraphs and its domains, kept
until the index changes (``storage.revision_stamp``), answers the table:
which documents pass the filters of their own fields (or one domain), how
many of their paragraphs, and the facet counts in documents, by the
engines' rule (the conformance suite holds it to the by-document view);
several domains ask the engine. The rows sort by any column from the same
records.
"""
from __future__ import annotations

import bisect
import re
import threading
import unicodedata
from functools import lru_cache
from dataclasses import dataclass, field

from .engine import FACETS, DocumentRecord, EngineResult, Filters, date_sort_keys, empty_counts, issuer_values, official_of

SORTS = ("date", "date-asc", "title", "paragraphs")  # date: newest first
COUNTS_KEPT = 64  # filtered counts a table keeps
SORT_LABELS = {"date": "最新", "date-asc": "最早", "title": "标题", "paragraphs": "段落数"}


def row(doc: DocumentRecord, paragraphs: int) -> dict:
    """One document as the table and its JSON show it (the contract's
    document fields and its number of paragraphs that pass the filters)."""
    return {"doc_id": doc.doc_id, "title": doc.title, "source": doc.source, "url": doc.url,
            "district": doc.district, "year": doc.year, "date": doc.date, "date_source": doc.date_source,
            **official_of(doc), "paragraphs": paragraphs}


def title_key(title: str) -> str:
    """A title in the order a Chinese reader looks one up: by each
    character's pinyin (pypinyin's most common reading, tones dropped),
    then the character itself, so 罗湖 comes before 龙华 and two scripts of
    one title sort together."""
    return "\x00".join(key for key in map(_char_key, title) if key)


@lru_cache(maxsize=65_536)
def _char_key(ch: str) -> str:
    from pypinyin import pinyin_dict

    reading = pinyin_dict.pinyin_dict.get(ord(ch))
    if reading:
        syllable = "".join(c for c in unicodedata.normalize("NFD", reading.split(",")[0]) if not unicodedata.combining(c))
        return f"{syllable}\x01{ch}"
    return ch.lower() if ch.isalnum() else ""


@dataclass
class Catalogue:
    """Every document's record once, with what sorting needs of it."""

    documents: dict[str, DocumentRecord]
    paragraphs: dict[str, int]  # each document's paragraphs (the engine's unfiltered count by document)
    # each document's domains → its paragraphs in it (engine.facet_documents)
    domains_of: dict[str, dict[str, int]] = field(default_factory=dict)
    everything: EngineResult | None = None  # the unfiltered table's count (``prepare``)
    _title_keys: dict[str, str] = field(default_factory=dict)
    # every title normalized as the analysis does, newest first, one a line
    # (searched by the regular expression engine, not title by title), the
    # offset each starts at, and its document
    _titles: str | None = None
    _title_starts: list[int] = field(default_factory=list)
    _title_ids: list[str] = field(default_factory=list)
    _counts: dict = field(default_factory=dict)  # filters' key → their count, the most recent COUNTS_KEPT
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def of_records(self, f: Filters) -> EngineResult | None:
        """The filters' count worked out from the records, without asking
        the engine, when every filter is of a document's own fields
        (district, year, issuer, 文种, date) or one domain: the documents
        that pass, each with its paragraphs (in that domain), and each
        facet's values counted over the documents that pass every other
        filter — the engines' rule. None for several domains (a paragraph
        in two of them would count twice) or a title's words."""
        if len(f.domain) > 1 or f.title:
            return None
        domain = f.domain[0] if f.domain else None
        checks = []
        if domain:
            checks.append(("domain", lambda d: domain in self.domains_of.get(d.doc_id, {})))
        if f.district:
            checks.append(("district", lambda d, want=set(f.district): d.district in want))
        if f.year:
            checks.append(("year", lambda d: d.year is not None and any(lo <= d.year <= hi for lo, hi in f.year)))
        if f.issuer:
            checks.append(("issuer", lambda d, want=set(f.issuer): not want.isdisjoint(issuer_values(d))))
        if f.kind:
            checks.append(("kind", lambda d, want=set(f.kind): d.kind in want))
        if f.date:
            checks.append(("date", lambda d: d.date is not None and f.date[0] <= d.date <= f.date[1]))
        paragraphs = self.paragraphs
        counts = empty_counts()
        kept: dict[str, int] = {}
        for doc_id, doc in self.documents.items():
            failed = [name for name, ok in checks if not ok(doc)]
            if len(failed) > 1 or failed == ["date"]:
                continue  # counted nowhere: the date span is no facet
            if not failed:
                kept[doc_id] = self.domains_of[doc_id][domain] if domain else paragraphs.get(doc_id, 0)
            values = {"district": (doc.district,) if doc.district else (), "year": (str(doc.year),) if doc.year else (),
                      "domain": self.domains_of.get(doc_id, ()), "issuer": issuer_values(doc),
                      "kind": (doc.kind,) if doc.kind else ()}
            for facet in FACETS if not failed else failed:
                bucket = counts[facet]
                for value in values[facet]:
                    bucket[value] = bucket.get(value, 0) + 1
        return EngineResult(total=sum(kept.values()), hits=[], facets={}, documents=kept, document_total=len(kept),
                            document_facets=counts)

    def counted(self, key, count) -> EngineResult:
        """The count of the documents a set of filters keeps (``count()``
        asks the engine), remembered until the index changes — a researcher
        pages and re-sorts one filtered table — unless a time limit cut it."""
        with self._lock:
            found = self._counts.get(key)
        if found is None:
            found = count()  # outside the lock: two requests may count at once, never wait on each other
            if found.timed_out:
                return found
        with self._lock:
            self._counts.pop(key, None)
            self._counts[key] = found
            while len(self._counts) > COUNTS_KEPT:
                self._counts.pop(next(iter(self._counts)))
        return found

    def prepare(self) -> "Catalogue":
        """The whole archive's count and facets in documents, and every
        title's sort key and normalized form, made now (the pinyin tables
        load in half a second), not in a visitor's request."""
        self.everything = self.of_records(Filters())
        by_title = self.sort_key("title", {})
        for doc_id in self.documents:
            by_title(doc_id)
        self._index_titles()
        return self

    def _index_titles(self) -> None:
        from .analysis import normalize_word

        newest = self.sort_key("date", {})
        self._title_ids = sorted(self.documents, key=newest)
        titles = [normalize_word(self.documents[d].title).replace("\n", " ") for d in self._title_ids]
        self._title_starts, offset = [], 0
        for title in titles:
            self._title_starts.append(offset)
            offset += len(title) + 1
        self._titles = "\n".join(titles)

    def titles_with(self, typed: str, limit: int) -> list[DocumentRecord]:
        """Documents whose title starts with, then holds, ``typed`` (already
        normalized: simplified, folded), newest first within each."""
        if self._titles is None:
            self._index_titles()
        if not limit or not typed or "\n" in typed:
            return []
        found: dict[str, int] = {}  # a title offered once (the newest document of that name)
        for pattern in ("(?m)^" + re.escape(typed), re.escape(typed)):  # starting with it first, then holding it
            for m in re.finditer(pattern, self._titles):
                i = bisect.bisect_right(self._title_starts, m.start()) - 1
                end = self._titles.find("\n", m.start())
                found.setdefault(self._titles[self._title_starts[i]:end if end >= 0 else None], i)
                if len(found) >= limit:
                    return [self.documents[self._title_ids[i]] for i in found.values()]
        return [self.documents[self._title_ids[i]] for i in found.values()]

    def sort_key(self, sort: str, paragraphs: dict[str, int]):
        """Each order's key; every order ends with the title and the id, so
        a page never reshuffles rows that tie."""
        def title(doc_id):
            key = self._title_keys.get(doc_id)
            if key is None:
                key = self._title_keys[doc_id] = title_key(self.documents[doc_id].title)
            return key

        if sort == "title":
            return lambda d: (title(d), d)
        if sort == "paragraphs":
            return lambda d: (-paragraphs.get(d, 0), title(d), d)
        newest = sort == "date"
        return lambda d: (date_sort_keys(self.documents[d])[0 if newest else 1] * (-1 if newest else 1),
                          title(d), d)

    def rows(self, counted: EngineResult, sort: str, page: int, limit: int) -> list[dict]:
        """The page's rows: the documents the count found, in ``sort``'s order."""
        paragraphs = counted.documents
        ids = sorted((d for d in paragraphs if d in self.documents), key=self.sort_key(sort, paragraphs))
        first = (page - 1) * limit
        return [row(self.documents[d], paragraphs[d]) for d in ids[first:first + limit]]
