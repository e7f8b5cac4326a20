"""Indexing throughput next to jieba's own, measured in one run on the same text.

    python bench/index_throughput.py ../shared/bench-corpus/laws-cn [--files N]

Runs the full pipeline (read → repair → clean → meta → chunk → domains → Whoosh
index) into a temporary index, then jieba ``cut_for_search`` alone over exactly
the paragraph texts that were indexed, and prints characters/second for both
and their ratio. Ratios, not absolute numbers, are what to compare across runs
on a shared machine.
"""
from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--files", type=int, default=0, help="index a random sample of N files (0: all)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    from indexer.build import build_index
    from indexer.read import find_files
    from run import floor_jieba, paragraphs_of
    from search import segmenter

    segmenter.tokenizer()  # load the dictionary before timing either side
    files = find_files(args.corpus)
    if args.files:
        random.Random(args.seed).shuffle(files)
        files = files[: args.files]
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        corpus = work / "corpus"
        for f in files:
            target = corpus / f.rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f.path, target)
        t0 = time.perf_counter()
        report = build_index([corpus], work / "index", progress=False)
        ours = time.perf_counter() - t0

        texts = [row[0] for f in find_files(corpus) for row in paragraphs_of(f)]
        chars = sum(len(t) for t in texts)
        jieba_s = floor_jieba(texts)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"files: {len(files)}  paragraphs: {report.paragraphs}  characters: {chars:,}  skipped: {len(report.skipped)}")
    print(f"full pipeline : {ours:8.1f} s  {chars / ours:12,.0f} chars/s")
    print(f"jieba alone   : {jieba_s:8.1f} s  {chars / jieba_s:12,.0f} chars/s")
    print(f"ratio pipeline/jieba: {ours / jieba_s:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
