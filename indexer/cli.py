"""``search-index``: bring an index in line with one or more corpus folders."""
from __future__ import annotations

import sys
import time
from pathlib import Path

from search import config
from search.cliutil import OneLineParser, fail


def build_parser() -> OneLineParser:
    p = OneLineParser(
        prog="search-index",
        description="Index folders of .txt/.md/.html reform documents (incremental by default).",
    )
    p.add_argument("--corpus", action="append", type=Path, metavar="DIR",
                   help=f"a corpus folder (repeatable; default {config.default_corpus()})")
    p.add_argument("--index", type=Path, metavar="DIR", help=f"index folder (default {config.default_index()})")
    p.add_argument("--rebuild", action="store_true", help="build a fresh index instead of updating")
    p.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                   help="wait this long for another indexer on the same index to finish (default: do not wait)")
    p.add_argument("--procs", type=int, default=0, metavar="N",
                   help="writer processes (default 0: one per core for large runs, 1 for small ones)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not 0 <= args.procs <= 16:
        parser.error("argument --procs: expected 0-16")
    from .build import IndexBusy, build_index

    corpora = args.corpus or [config.default_corpus()]
    for corpus in corpora:
        if not corpus.is_dir():
            return fail("search-index", f"corpus folder not found: {corpus}", 2)
    index_root = args.index or config.default_index()
    started = time.perf_counter()
    try:
        report = build_index(corpora, index_root, rebuild=args.rebuild,
                             progress=False if args.no_progress else None, lock_timeout=args.wait,
                             procs=args.procs or None)
    except IndexBusy as exc:
        return fail("search-index", str(exc))
    except KeyboardInterrupt:
        return fail("search-index", "interrupted; the previous index is unchanged", 130)
    except OSError as exc:
        return fail("search-index", str(exc))
    elapsed = time.perf_counter() - started
    print(report.summary())
    rate = report.characters / elapsed if elapsed > 0 else 0
    print(f"index: {Path(index_root).resolve()} ({elapsed:.1f} s, {rate:,.0f} characters/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
