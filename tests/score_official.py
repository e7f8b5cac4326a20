"""Precision and recall of the official fields on the hand-labelled sample.

``tests/data/official_sample.jsonl``: 63 documents, each with its true 文号
(``doc_number``), 发文机关 (``issuers``), 文种 (``kind``) and date, labelled
by reading the document before the extraction's answers were looked at:

* 13 in this repository — the five seeds, their PDF and Word twins, a
  government web page, a printed work report, a short notice, a notice
  printed with its 文号 and signature, and two laws
  (``tests/data/laws``);
* 50 from the bench corpus, chosen at random (seed 23) by kind: 9 judicial
  interpretations, 9 administrative regulations, 8 departmental rules, 10
  local regulations, 6 national laws, 8 Taiwan rules. The bench corpus is
  not part of the project: each keeps its file name and the lines the
  extraction reads — the first twelve and the last twelve (long lines cut
  at 300 characters).

What a label means: the 文号 the document states as its own (a header
label, the line under the title, the 令/公告 number it was published with),
never one it cites; the 发文机关 that issued it — the names before 关于, a
header's label, the body that adopted a law (without its term, session or
internal committee: 全国人民代表大会常务委员会, 最高人民法院), else the one
that published it — [] where the text names none (a news story, a person);
the 文种 by the name's last word (``data/kinds.txt``); the date the
document was published as its text states (a law: its 公布 day, else the
day this version was adopted or amended), else what the file's name says.

Scores: a field is a true positive when the extraction gives the label
(issuers: each name, compared in simplified script); a false positive when
it gives something else; a false negative when the label is missing from
its answer. Run it after editing the rules:  python tests/score_official.py
"""
from __future__ import annotations

import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SAMPLE = Path(__file__).with_name("data") / "official_sample.jsonl"
FIELDS = ("doc_number", "issuers", "kind", "date")


@dataclass
class Score:
    field: str
    true_pos: int = 0
    false_pos: int = 0
    false_neg: int = 0

    @property
    def precision(self) -> float:
        found = self.true_pos + self.false_pos
        return self.true_pos / found if found else 1.0

    @property
    def recall(self) -> float:
        wanted = self.true_pos + self.false_neg
        return self.true_pos / wanted if wanted else 1.0


def load_sample() -> list[dict]:
    return [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines() if line.strip()]


def _document(item: dict, scratch: Path):
    from indexer.process import process_file
    from indexer.read import find_files

    if item["origin"] == "repository":
        path = ROOT / item["path"]
        folder, name = path.parent, path.name
    else:
        folder = scratch / str(len(list(scratch.iterdir())))
        folder.mkdir()
        name = item["name"]
        (folder / name).write_text(item["text"], encoding="utf-8")
    source = next(s for s in find_files(folder) if s.rel == name)
    return process_file(source)


def _values(field: str, value) -> set[str]:
    from search.analysis import to_simplified

    if field == "issuers":
        return {to_simplified(v) for v in value or []}
    return {to_simplified(value)} if value else set()


def score(sample: list[dict]) -> tuple[dict[str, Score], list[str]]:
    """Scores per field and a line for each miss."""
    scores = {f: Score(f) for f in FIELDS}
    misses = []
    with tempfile.TemporaryDirectory() as scratch:
        for item in sample:
            doc = _document(item, Path(scratch))
            for f in FIELDS:
                want, got = _values(f, item["truth"][f]), _values(f, getattr(doc, f))
                s = scores[f]
                s.true_pos += len(want & got)
                s.false_pos += len(got - want)
                s.false_neg += len(want - got)
                if want != got:
                    misses.append(f"{item.get('path') or item['file']}: {f} {sorted(got)} — label {sorted(want)}")
    return scores, misses


def main() -> int:
    sample = load_sample()
    scores, misses = score(sample)
    print(f"{len(sample)} documents")
    for s in scores.values():
        print(f"{s.field:<11} precision {s.precision:.3f}  recall {s.recall:.3f}  "
              f"(tp {s.true_pos}, fp {s.false_pos}, fn {s.false_neg})")
    for line in misses:
        print("  miss:", line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
