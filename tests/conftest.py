from __future__ import annotations

from pathlib import Path

import pytest

from search import config

SEEDS = config.PROJECT_ROOT / "data" / "corpus"


@pytest.fixture(scope="session")
def seed_docs():
    """Every seed document processed once: {file name prefix: DocumentRecord}."""
    from indexer.build import process_file
    from indexer.read import find_files

    return {src.rel[:3]: process_file(src) for src in find_files(SEEDS)}


def _engines():
    from search.engine import ENGINES

    return sorted(ENGINES)


@pytest.fixture(scope="session", params=_engines())
def seed_index(request, tmp_path_factory) -> Path:
    """The shipped corpus indexed by each engine in turn: every test that
    searches it is part of the engine contract's suite."""
    from indexer.build import build_index

    root = tmp_path_factory.mktemp(f"seed-index-{request.param}")
    build_index([SEEDS], root, progress=False, engine_name=request.param)
    return root


@pytest.fixture(scope="session")
def service(seed_index):
    from search.service import SearchService
    from search.engine import open_engine

    return SearchService(open_engine(seed_index))


def paragraph(doc, prefix: str):
    """The chunk of ``doc`` whose text starts with ``prefix`` (exactly one)."""
    found = [c for c in doc.chunks if c.text.startswith(prefix)]
    assert len(found) == 1, f"{len(found)} paragraphs start with {prefix!r}"
    return found[0]
