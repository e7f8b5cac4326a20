"""Graded relevance: nDCG@10 and P@10 of our engines beside Meilisearch.

The queries, their needs and the grades live in ``bench/relevance/``
(``GRADING.md`` says how a paragraph is graded). Two commands:

    python bench/relevance.py pool  --ours tantivy=/tmp/rel-tantivy [--meili]
    python bench/relevance.py score --ours whoosh=/tmp/rel-whoosh --ours tantivy=/tmp/rel-tantivy --meili

``pool`` writes every top-10 paragraph that has no grade yet to
``bench/relevance/todo.tsv`` (query, need, key, title, heading, text) for a
person to grade into ``judgments.tsv``; ``score`` prints the table. Each
``--ours NAME=INDEX`` is an index of the bench corpus and the seeds, built
by ``search-index`` as a user builds it; ``--meili`` loads Meilisearch 1.21
(``meili.py``) with exactly the paragraphs of the first index (its text,
heading path and document title, searchable in that order; Meilisearch's
own defaults otherwise, as a user gets them: matching strategy ``last``,
its typo tolerance, its Chinese tokenizer). Its answers are cached in
``bench/results/meili-relevance.json`` (git-ignored) for the same
paragraphs and queries.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

SET = HERE / "relevance"
QUERIES = SET / "queries.tsv"
JUDGMENTS = SET / "judgments.tsv"
TODO = SET / "todo.tsv"
HELPERS = SET / "helpers.tsv"
CACHE = HERE / "results" / "meili-relevance.json"
K = 10


def load_queries() -> list[dict]:
    rows = []
    for line in QUERIES.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        qid, kind, query, need, *same = line.split("\t")
        rows.append({"id": qid, "kind": kind, "q": query, "need": need, "same": (same or [""])[0]})
    return rows


def load_helpers() -> list[tuple[str, str]]:
    """(query id, helper query): queries that widen a query's pool."""
    out = []
    for line in HELPERS.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            qid, query = line.split("\t")
            out.append((qid, query))
    return out


def load_judgments(queries: list[dict] | None = None) -> dict[str, dict[str, int]]:
    """query id → paragraph key → grade; a query with the same need as
    another (``queries.tsv``'s last column) counts that one's grades too."""
    grades: dict[str, dict[str, int]] = defaultdict(dict)
    if JUDGMENTS.exists():
        for line in JUDGMENTS.read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            qid, key, grade, *_ = line.split("\t")
            grades[qid][key] = int(grade)
    for q in queries or []:
        if q.get("same"):
            grades[q["id"]] = {**grades.get(q["same"], {}), **grades.get(q["id"], {})}
    return grades


def paragraph_key(corpus: str, source: str, text: str) -> str:
    """``corpus folder/path#hash``: the same paragraph keeps its key when the
    index is rebuilt or its neighbours are chunked differently."""
    digest = hashlib.sha1(" ".join(text.split()).encode("utf-8")).hexdigest()[:12]
    return f"{Path(corpus).name}/{source}#{digest}"


class Ours:
    """One of our indexes, asked through SearchService as the CLI and the
    web page ask it (default options, top 10)."""

    def __init__(self, name: str, index: Path):
        from search.engines import open_engine
        from search.service import SearchService

        self.name = name
        self.engine = open_engine(index)
        self.service = SearchService(self.engine)
        self._docs = self.engine.indexed_documents()  # doc_id → (corpus folder/source, content hash)

    def _corpus(self, doc_id: str, source: str) -> str:
        path = self._docs[doc_id][0]
        return path[: len(path) - len(source)].rstrip("/")

    def top(self, query: str) -> tuple[list[dict], float]:
        from search.service import Options

        started = time.perf_counter()
        answer = self.service.search(query, Options(limit=K))
        took = time.perf_counter() - started
        return [{"key": paragraph_key(self._corpus(h["doc_id"], h["source"]), h["source"], h["text"]),
                 "title": h["title"], "section": " › ".join(h.get("section_path") or []), "text": h["text"]}
                for h in answer["hits"]], took

    def paragraphs(self):
        """Every paragraph of the index: (key, title, heading path, text, district, year, domains)."""
        for doc_id, (path, _) in sorted(self._docs.items()):
            doc = self.engine.document(doc_id)
            corpus = path[: len(path) - len(doc.source)].rstrip("/")
            for c in doc.chunks:
                yield (paragraph_key(corpus, doc.source, c.text), doc.title, " › ".join(c.section_path), c.text,
                       doc.district or "", str(doc.year or ""), list(c.domains))


def meili_answers(ours: Ours, queries: list[dict]) -> dict[str, list[dict]]:
    """Meilisearch's top 10 per query, from the cache when the paragraphs and
    queries are the same."""
    rows = list(ours.paragraphs())
    fingerprint = hashlib.sha1(json.dumps([len(rows), rows[:50], [q["q"] for q in queries]],
                                          ensure_ascii=False).encode()).hexdigest()
    if CACHE.exists():
        cached = json.loads(CACHE.read_text(encoding="utf-8"))
        if cached.get("fingerprint") == fingerprint:
            return cached["answers"]
    from meili import Meili

    meili = Meili()
    try:
        started = time.perf_counter()
        meili.load_paragraphs(rows)
        print(f"meilisearch: {len(rows)} paragraphs loaded in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        answers = {q["id"]: meili.top(q["q"], K) for q in queries}
    finally:
        meili.close()
    CACHE.parent.mkdir(exist_ok=True)
    CACHE.write_text(json.dumps({"fingerprint": fingerprint, "answers": answers}, ensure_ascii=False),
                     encoding="utf-8")
    return answers


def gather(args, queries) -> dict[str, dict[str, list[dict]]]:
    """system name → query id → its top 10."""
    systems: dict[str, dict[str, list[dict]]] = {}
    first = None
    for spec in args.ours:
        name, _, index = spec.partition("=")
        ours = Ours(name, Path(index))
        first = first or ours
        answers, times = {}, []
        for q in queries:
            answers[q["id"]], took = ours.top(q["q"])
            times.append(took)
        systems[name] = answers
        print(f"{name}: {len(queries)} queries, median {sorted(times)[len(times) // 2] * 1000:.1f} ms", file=sys.stderr)
    if args.meili:
        if first is None:
            raise SystemExit("--meili needs an --ours index (its paragraphs are what Meilisearch gets)")
        systems["meilisearch"] = meili_answers(first, queries)
    return systems


def dcg(gains: list[int]) -> float:
    return sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(gains))


def score(systems, queries, grades) -> str:
    kinds = sorted({q["kind"] for q in queries}, key=[q["kind"] for q in queries].index)
    lines = [f"{'system':<14} {'nDCG@10':>8} {'P@10':>6} {'empty':>6} {'unjudged':>9}   " +
             " ".join(f"{k:>8}" for k in kinds)]
    per_query = defaultdict(dict)
    for name, answers in systems.items():
        ndcgs, precisions, empty, unjudged = [], [], 0, 0
        by_kind = defaultdict(list)
        for q in queries:
            judged = grades.get(q["id"], {})
            top = answers.get(q["id"], [])[:K]
            gains = [judged.get(h["key"], 0) for h in top]
            unjudged += sum(1 for h in top if h["key"] not in judged)
            ideal = dcg(sorted(judged.values(), reverse=True)[:K])
            value = dcg(gains) / ideal if ideal else 0.0
            ndcgs.append(value)
            by_kind[q["kind"]].append(value)
            precisions.append(sum(1 for g in gains if g >= 2) / K)
            empty += not top
            per_query[q["id"]][name] = value
        lines.append(f"{name:<14} {sum(ndcgs) / len(ndcgs):>8.3f} {sum(precisions) / len(precisions):>6.3f} "
                     f"{empty:>6} {unjudged:>9}   " +
                     " ".join(f"{sum(v) / len(v):>8.3f}" for v in (by_kind[k] for k in kinds)))
    lines.append("")
    names = list(systems)
    lines.append(f"{'query':<6} {'kind':<9} " + " ".join(f"{n[:12]:>12}" for n in names) + "  text")
    for q in queries:
        lines.append(f"{q['id']:<6} {q['kind']:<9} " + " ".join(f"{per_query[q['id']][n]:>12.3f}" for n in names)
                     + f"  {q['q']}")
    return "\n".join(lines)


def pool(systems, queries, grades, helped=None) -> int:
    todo = []
    helped = helped or {}
    for q in queries:
        seen = set()
        for answers in [*systems.values(), helped]:
            for h in answers.get(q["id"], [])[:K * 3]:
                if h["key"] in grades.get(q["id"], {}) or h["key"] in seen:
                    continue
                seen.add(h["key"])
                todo.append("\t".join([q["id"], q["need"], h["key"], h["title"], h["section"],
                                       " ".join(h["text"].split())]))
    TODO.write_text("# query\tneed\tkey\ttitle\theading\ttext\n" + "\n".join(todo) + "\n", encoding="utf-8")
    print(f"{len(todo)} paragraphs to grade: {TODO}", file=sys.stderr)
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("command", choices=("pool", "score"))
    ap.add_argument("--ours", action="append", default=[], metavar="NAME=INDEX",
                    help="one of our indexes of the bench corpus and the seeds (repeatable)")
    ap.add_argument("--meili", action="store_true", help="Meilisearch beside them, on the same paragraphs")
    ap.add_argument("--json", metavar="FILE", help="also write the systems' answers and the scores here")
    args = ap.parse_args()
    queries = load_queries()
    grades = load_judgments(queries)
    systems = gather(args, queries)
    if args.command == "pool":
        helped: dict[str, list[dict]] = defaultdict(list)
        if args.ours:
            name, _, index = args.ours[0].partition("=")
            ours = Ours(name, Path(index))
            for qid, query in load_helpers():
                helped[qid] += ours.top(query)[0]
        return pool(systems, queries, grades, helped)
    print(score(systems, queries, grades))
    if args.json:
        Path(args.json).write_text(json.dumps({"systems": systems}, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
