"""The registry: an engine's options reach its class as settings, from a
flag or the environment standing in for it — never through the
environment — and a flag of the wrong shape is one line and exit 2."""
from __future__ import annotations

import os
import subprocess
import sys

from search import config
from search.cliutil import OneLineParser
from search.engines import ENGINES, add_options, open_engine, settings_from


def _no_settings_in_the_environment(monkeypatch) -> None:
    for entry in ENGINES.values():
        for o in entry.options:
            monkeypatch.delenv(o.env, raising=False)


def _parser() -> OneLineParser:
    p = OneLineParser(prog="probe")
    add_options(p)
    return p


def test_every_engine_option_is_a_flag_and_reaches_its_engine_as_a_setting(monkeypatch, tmp_path):
    _no_settings_in_the_environment(monkeypatch)
    before = dict(os.environ)
    p = _parser()
    args = p.parse_args(["--opensearch-url", "http://10.0.0.9:9201", "--opensearch-timeout", "7"])
    settings = settings_from(p, args)
    assert settings == {"opensearch": {"url": "http://10.0.0.9:9201", "timeout": "7"}}
    assert dict(os.environ) == before  # nothing handed on through the environment
    engine = open_engine(tmp_path / "ix", "opensearch", settings=settings)
    assert engine.timeout == 7.0 and engine.location() == ("http://10.0.0.9:9201", "reform-search")


def test_the_environment_stands_in_for_a_flag_and_a_flag_wins(monkeypatch):
    _no_settings_in_the_environment(monkeypatch)
    monkeypatch.setenv("REFORM_SEARCH_OPENSEARCH_INDEX", "from-env")
    monkeypatch.setenv("REFORM_SEARCH_OPENSEARCH_TIMEOUT", "12")
    p = _parser()
    assert settings_from(p, p.parse_args([]))["opensearch"] == {"index": "from-env", "timeout": "12"}
    flagged = settings_from(p, p.parse_args(["--opensearch-index", "from-flag"]))
    assert flagged["opensearch"]["index"] == "from-flag"


def test_a_file_engine_takes_no_setting_and_opens_without_a_server(tmp_path):
    for name, entry in ENGINES.items():
        if entry.server is None:
            assert not entry.options and entry.server_missing() is None
            assert open_engine(tmp_path / name, name, settings={}).state() == "missing"


def test_a_flag_of_the_wrong_shape_is_one_line_and_exit_2():
    for flag, value in (("--opensearch-timeout", "soon"), ("--opensearch-url", "localhost"),
                        ("--opensearch-index", "Bad Name")):
        done = subprocess.run([sys.executable, "-m", "search.cli", "放管服", flag, value], capture_output=True,
                              text=True, cwd=config.PROJECT_ROOT, timeout=60)
        assert done.returncode == 2, (flag, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and flag in lines[0] and "Traceback" not in done.stderr, done.stderr


def test_a_server_generation_that_records_no_schema_is_refused_not_read(tmp_path):
    """A file engine opens a generation from before schemas were recorded
    (it is an old index of its own); every generation OpenSearch wrote
    records its schema, so one without is another version's — refused with
    the reason, before any request to a cluster."""
    import json

    import pytest

    from search import storage
    from search.errors import IndexFromAnotherVersion

    root = tmp_path / "ix"
    gen = storage.new_generation(root)
    (gen / storage.GEN_META).write_text(json.dumps({"engine": "opensearch", "url": "http://127.0.0.1:1",
                                                    "alias": "x", "index": "x-gen"}), encoding="utf-8")
    storage.switch(root, gen)
    engine = open_engine(root, settings={})
    assert engine.NAME == "opensearch"
    with pytest.raises(IndexFromAnotherVersion, match="schema None"):
        engine.check()
    assert engine.state() == "damaged"
