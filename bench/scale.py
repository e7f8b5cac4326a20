"""A larger archive made from the bench corpus: every file ``--times`` times.

    python bench/scale.py ../shared/bench-corpus/laws-cn ../shared/bench-corpus/laws-tw --times 10 --out /tmp/bench-10x

Copy 0 is each file as it is. Copy k (1 … times-1) is the same text, decoded
to UTF-8, with every line that ends a sentence (。；！？) followed by the
mark ``〔副本k〕``, so no paragraph of the archive repeats another (an index
of ten identical copies would compress and cache like one). Titles,
headings, bylines and page furniture stay as they are: the cleaner drops
the same lines from every copy, so each copy has its original's paragraphs. Each copy carries a sidecar
(``<file>.meta.json``) with what the indexer read from the original —
title, date, year, district, address and the official fields — so every
copy is the same document in the same district and year as its original:
the facet counts of the larger archive are those of the corpus times
``times`` (the mark adds the words 副本 and k to the copies' paragraphs and
nothing else). Written once; run again on the same ``--out`` it keeps what
is there.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def sidecar_of(doc) -> dict:
    """The original's facts, as a sidecar gives them to the indexer."""
    fields = {"title": doc.title, "date": doc.date, "year": doc.year, "district": doc.district, "url": doc.url,
              "doc_number": doc.doc_number, "issuers": list(doc.issuers) or None, "kind": doc.kind,
              "index_number": doc.index_number, "date_written": doc.date_written,
              "date_adopted": doc.date_adopted, "date_effective": doc.date_effective}
    return {k: v for k, v in fields.items() if v not in (None, "", [])}


SENTENCE_ENDS = ("。", "；", "！", "？", ";")


def marked(text: str, copy: int) -> str:
    out = []
    for line in text.splitlines():
        if line.rstrip().endswith(SENTENCE_ENDS) and not line.lstrip().startswith("#"):
            line = f"{line.rstrip()}〔副本{copy}〕"
        out.append(line)
    return "\n".join(out) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpora", nargs="+", type=Path)
    ap.add_argument("--times", type=int, default=10)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    from indexer.process import process_file
    from indexer.read import decode_bytes, find_files, read_bytes
    from indexer.skip import SkipFile

    started, written, skipped = time.perf_counter(), 0, 0
    for corpus in args.corpora:
        for source in find_files(corpus):
            name = f"{corpus.name}/{source.rel}"
            targets = [args.out / f"copy-{k:02d}" / name for k in range(args.times)]
            if all(t.exists() for t in targets):
                continue
            data = read_bytes(source)
            try:
                doc = process_file(source, data)
            except SkipFile:
                skipped += 1
                continue
            text, _ = decode_bytes(data)
            side = json.dumps(sidecar_of(doc), ensure_ascii=False)
            for k, target in enumerate(targets):
                target.parent.mkdir(parents=True, exist_ok=True)
                if k == 0:
                    target.write_bytes(data)
                else:
                    target.write_text(marked(text, k), encoding="utf-8")
                target.with_name(target.name + ".meta.json").write_text(side, encoding="utf-8")
                written += 1
    print(f"{written} files written under {args.out} ({skipped} originals skipped as the indexer skips them), "
          f"{time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
