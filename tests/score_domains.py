"""Precision and recall of the domain rules on the hand-labelled sample.

``tests/data/domain_sample.jsonl``: 125 paragraphs — 65 from the five seeds
(13 each), 60 from the bench corpus (32 mainland, 28 Taiwan law texts, one
per file, at random) — each with its document's title, its heading path and
the domains a reader gives it: what the paragraph is about, in its
document's subject (an enacting clause of a health law is 社会民生); not
what it mentions in passing. A paragraph about no reform domain (a ship
captain's orders) has none. Labelled by hand before the rules' answers were
looked at; four labels were made consistent with that reading afterwards.

Run it after editing ``data/domains.txt``:  python tests/score_domains.py
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SAMPLE = Path(__file__).with_name("data") / "domain_sample.jsonl"


@dataclass
class Score:
    domain: str
    true_pos: int = 0
    false_pos: int = 0
    false_neg: int = 0

    @property
    def support(self) -> int:
        return self.true_pos + self.false_neg

    @property
    def precision(self) -> float:
        found = self.true_pos + self.false_pos
        return self.true_pos / found if found else 1.0

    @property
    def recall(self) -> float:
        return self.true_pos / self.support if self.support else 1.0


def load_sample(path: Path = SAMPLE) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def predict(item: dict, rules=None) -> set[str]:
    from indexer import domains
    from search import analysis

    path = [analysis.to_simplified(h) for h in item["section_path"]]
    return set(domains.classify(path, analysis.to_simplified(item["text"]), rules,
                                title_simp=analysis.to_simplified(item["title"])))


def score(sample: list[dict], rules=None) -> tuple[dict[str, Score], list[tuple[dict, set, set]]]:
    """Per-domain scores, and the paragraphs the rules got wrong."""
    from search.facets import TAXONOMY

    scores = {d: Score(d) for d in TAXONOMY}
    misses = []
    for item in sample:
        truth, got = set(item["domains"]), predict(item, rules)
        for d in TAXONOMY:
            if d in got and d in truth:
                scores[d].true_pos += 1
            elif d in got:
                scores[d].false_pos += 1
            elif d in truth:
                scores[d].false_neg += 1
        if truth != got:
            misses.append((item, truth, got))
    return scores, misses


def main() -> int:
    sample = load_sample()
    scores, misses = score(sample)
    print(f"{'domain':<8} {'support':>7} {'precision':>9} {'recall':>6}")
    for s in scores.values():
        print(f"{s.domain:<8} {s.support:>7} {s.precision:>9.2f} {s.recall:>6.2f}")
    total = Score("all", *(sum(getattr(s, f) for s in scores.values()) for f in ("true_pos", "false_pos", "false_neg")))
    print(f"{'all':<8} {total.support:>7} {total.precision:>9.2f} {total.recall:>6.2f}")
    print(f"{len(misses)} of {len(sample)} paragraphs differ from the labels", file=sys.stderr)
    if "-v" in sys.argv:
        for item, truth, got in misses:
            print(f"  {item['source'][:30]} missing {sorted(truth - got)} extra {sorted(got - truth)}: {item['text'][:60]}",
                  file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
