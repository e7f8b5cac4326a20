"""The index builds itself on first use: what a reading command (``search``,
``search-web``) does when there is no index yet. Here, in the indexer,
so the commands reach down to it and the search library never reaches up."""
from __future__ import annotations

import sys
from pathlib import Path

from search import config, storage
from search.engines import Settings

from .build import build_index


def ensure_index(parser, index_root: Path, corpora: list[Path] | None, explicit: bool,
                 settings: Settings | None = None) -> None:
    """Build the index first only where there is none at all, and only at the
    default location or from corpus folders the user named: a reading command
    never writes over an index that exists, even a damaged one (that is
    reported when it is opened), and a mistyped ``--index`` is an error, not
    a new index of the seed corpus."""
    if not storage.is_missing(index_root):
        return
    if explicit and not corpora:
        parser.error(f"no index in {index_root}; build one with: search-index --corpus DIR --index {index_root}")
    corpora = corpora or [config.default_corpus()]
    print(f"第一次使用：正在从 {', '.join(str(c) for c in corpora)} 建立索引…", file=sys.stderr)
    report = build_index(corpora, index_root, progress=None, lock_timeout=600, settings=settings)
    print(report.summary(), file=sys.stderr)
