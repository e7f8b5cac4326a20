from __future__ import annotations

import contextlib
import os
import re
import uuid
from pathlib import Path

import pytest

from search import config

SEEDS = config.PROJECT_ROOT / "data" / "corpus"
# the commands speak the reader's language (search.i18n); the tests read
# English unless one sets a Chinese locale on purpose (tests/test_i18n.py)
os.environ["LANGUAGE"] = "en"


@pytest.fixture(scope="session")
def seed_docs():
    """Every seed document processed once: {file name prefix: DocumentRecord}."""
    from indexer.process import process_file
    from indexer.read import find_files

    return {src.rel[:3]: process_file(src) for src in find_files(SEEDS)}


OPENSEARCH_URL = os.environ.get("REFORM_SEARCH_OPENSEARCH_URL")
NO_CLUSTER = ("no OpenSearch cluster: run scripts/opensearch-local start and set "
              "REFORM_SEARCH_OPENSEARCH_URL (.ci/run does)")


def _registry():
    from search.engines import ENGINES

    return ENGINES


# the engines whose index is files here (the file faults' subjects)
FILE_ENGINES = tuple(sorted(name for name, entry in _registry().items() if entry.server is None))


def engines_under_test() -> list:
    """Every engine in the registry; one that needs a server only where one
    is configured (else a skip that says how to get one), and then for sure
    where ``REFORM_SEARCH_REQUIRE_<NAME>`` is set (.ci/run sets it)."""
    params = []
    for name, entry in sorted(_registry().items()):
        missing = entry.server_missing()
        if missing and os.environ.get(f"REFORM_SEARCH_REQUIRE_{name.upper()}"):
            raise pytest.UsageError(f"REFORM_SEARCH_REQUIRE_{name.upper()} is set, but there is {missing}")
        params.append(pytest.param(name, marks=pytest.mark.skip(reason=missing)) if missing else name)
    return params


@contextlib.contextmanager
def own_index_names(tag: str):
    """A build inside names an index of its own on every engine's server
    (tests must not move each other's aliases); the index folder remembers
    it."""
    name = f"rs-test-{re.sub('[^a-z0-9]+', '-', tag.lower())[:40]}-{uuid.uuid4().hex[:8]}"
    names = [o.env for entry in _registry().values() for o in entry.options if o.names_index]
    old = {env: os.environ.get(env) for env in names}
    os.environ.update({env: name for env in names})
    try:
        yield name
    finally:
        for env, value in old.items():
            if value is None:
                os.environ.pop(env, None)
            else:
                os.environ[env] = value



def build(corpora, root, engine: str, **kw):
    """``build_index`` with ``engine``, in an index of its own on a cluster."""
    from indexer.build import build_index

    with own_index_names(Path(root).name):
        return build_index(corpora, root, progress=False, engine_name=engine, **kw)


def build_old_whoosh(corpora, root, monkeypatch, schema: int, without: tuple[str, ...]):
    """A Whoosh index as an older version wrote it: schema ``schema``, its
    fields but ``without`` (what later versions added)."""
    from indexer.build import build_index
    from search.engines.whoosh import engine as whoosh_engine

    plain = whoosh_engine.make_schema

    def older():
        s = plain()
        for name in without:
            s.remove(name)
        return s

    with monkeypatch.context() as m:
        m.setattr(whoosh_engine, "make_schema", older)
        m.setattr(whoosh_engine.WhooshEngine, "SCHEMA_VERSION", schema)
        return build_index(corpora, root, progress=False, engine_name="whoosh")


@pytest.fixture(scope="session", autouse=True)
def _drop_test_indexes():
    """What the tests built on a cluster goes when they end."""
    yield
    if OPENSEARCH_URL:
        try:
            from opensearchpy import OpenSearch

            client = OpenSearch(hosts=[OPENSEARCH_URL], timeout=30)
            client.indices.delete(index="rs-test-*", ignore_unavailable=True)
        except Exception:
            pass


@pytest.fixture(scope="session", params=engines_under_test())
def seed_index(request, tmp_path_factory) -> Path:
    """The shipped corpus indexed by each engine in turn: every test that
    searches it is part of the engine contract's suite."""
    root = tmp_path_factory.mktemp(f"seed-index-{request.param}")
    build([SEEDS], root, request.param)
    return root


@pytest.fixture(scope="session")
def service(seed_index):
    from search.service import SearchService
    from search.engines import open_engine

    return SearchService(open_engine(seed_index))


def paragraph(doc, prefix: str):
    """The chunk of ``doc`` whose text starts with ``prefix`` (exactly one)."""
    found = [c for c in doc.chunks if c.text.startswith(prefix)]
    assert len(found) == 1, f"{len(found)} paragraphs start with {prefix!r}"
    return found[0]
