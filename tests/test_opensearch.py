"""OpenSearch as users meet it: the cluster's failures as one-line errors,
``/healthz`` telling the cluster's state, and a data node killed in the
middle of a query loop without a failed or an incomplete answer.

Needs a cluster (``scripts/opensearch-local start``; ``.ci/run`` starts a
2-node one); the engine contract itself is in test_conformance and
test_parity, which run against OpenSearch too.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time

import pytest

from search import config
from tests.conftest import NO_CLUSTER, OPENSEARCH_URL, SEEDS, own_opensearch_index

pytestmark = pytest.mark.skipif(not OPENSEARCH_URL, reason=NO_CLUSTER)
SCRIPT = config.PROJECT_ROOT / "scripts" / "opensearch-local"


def run(*args, env=None, timeout=180) -> subprocess.CompletedProcess:
    full = dict(os.environ, **(env or {}))
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, timeout=timeout,
                          cwd=config.PROJECT_ROOT, env=full)


def one_line(done: subprocess.CompletedProcess) -> str:
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    return lines[0]


def client():
    from opensearchpy import OpenSearch

    return OpenSearch(hosts=[OPENSEARCH_URL], timeout=30)


@pytest.fixture(scope="module")
def seed_cluster_index(tmp_path_factory):
    """The seeds indexed on the cluster through the CLI, as a user does."""
    root = tmp_path_factory.mktemp("os-cli")
    with own_opensearch_index("cli") as name:
        done = run("indexer.cli", "--corpus", str(SEEDS), "--index", str(root / "ix"), "--no-progress",
                   "--engine", "opensearch", "--opensearch-url", OPENSEARCH_URL, "--opensearch-index", name)
    assert done.returncode == 0, done.stderr
    return root / "ix", name


def test_the_cli_builds_and_searches_on_the_cluster_and_the_index_remembers_where(seed_cluster_index):
    index, name = seed_cluster_index
    env = {"REFORM_SEARCH_OPENSEARCH_URL": ""}  # nothing given: the index folder knows its cluster
    done = run("search.cli", "放管服", "--index", str(index), "--json", env=env)
    assert done.returncode == 0, done.stderr
    import json

    result = json.loads(done.stdout)
    assert result["total"] >= 3 and any("<mark>放管服</mark>" in h["snippet"] for h in result["hits"])
    assert client().indices.exists_alias(name=name)


def test_an_unreachable_cluster_is_one_line_and_exit_1(seed_cluster_index, tmp_path):
    index, _ = seed_cluster_index
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    done = run("search.cli", "放管服", "--index", str(index), "--opensearch-url", dead)
    assert done.returncode == 1
    line = one_line(done)
    assert "cannot be reached" in line and dead in line and "rebuild" not in line
    built = run("indexer.cli", "--corpus", str(SEEDS), "--index", str(tmp_path / "new"), "--no-progress",
                "--engine", "opensearch", "--opensearch-url", dead)
    assert built.returncode == 1 and "cannot be reached" in one_line(built)


def test_a_cluster_that_does_not_answer_in_time_is_one_line(seed_cluster_index):
    index, _ = seed_cluster_index
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # accepts, never answers
    url = f"http://127.0.0.1:{silent.getsockname()[1]}"
    try:
        started = time.monotonic()
        done = run("search.cli", "放管服", "--index", str(index), "--opensearch-url", url,
                   env={"REFORM_SEARCH_OPENSEARCH_TIMEOUT": "1"})
        assert done.returncode == 1
        assert "did not answer in time" in one_line(done)
        assert time.monotonic() - started < 60
    finally:
        silent.close()


def test_a_missing_index_and_a_red_one_are_one_line_each(tmp_path):
    from indexer.build import build_index

    with own_opensearch_index("gone") as name:
        build_index([SEEDS], tmp_path / "ix", progress=False, engine_name="opensearch")
    c = client()
    physical = list(c.indices.get_alias(name=name))[0]
    c.indices.delete(index=physical)
    done = run("search.cli", "放管服", "--index", str(tmp_path / "ix"))
    assert done.returncode == 1 and f"has no index {name}" in one_line(done)

    # red: the alias names an index whose only shard can go to no node
    c.indices.create(index=physical, body={"settings": {
        "number_of_shards": 1, "number_of_replicas": 0, "index.routing.allocation.require._name": "no-such-node"}},
        wait_for_active_shards="0")
    c.indices.update_aliases(body={"actions": [{"add": {"index": physical, "alias": name}}]})
    try:
        done = run("search.cli", "放管服", "--index", str(tmp_path / "ix"))
        assert done.returncode == 1 and "is red" in one_line(done)
    finally:
        c.indices.delete(index=physical, ignore_unavailable=True)


def test_healthz_reports_the_clusters_state(seed_cluster_index):
    from web.app import create_app

    index, name = seed_cluster_index
    app = create_app(index=index)
    r = app.test_client().get("/healthz")
    assert r.status_code == 200
    body = r.get_json()
    assert body["cluster"] in ("green", "yellow") and body["nodes"] >= 1 and body["index"] == name
    assert body["paragraphs"] > 50


def _nodes() -> int:
    return client().cluster.health()["number_of_nodes"]


def test_killing_the_data_node_in_a_query_loop_fails_no_search_and_loses_no_answer(tmp_path):
    """With one replica, the data-only node dies (SIGKILL) while searches run:
    every search answers, with the same total as before; the node is brought
    back for the tests after this one."""
    if _nodes() < 2:
        pytest.skip("needs a 2-node cluster (scripts/opensearch-local start --nodes 2)")
    from indexer.build import build_index
    from search.engine import open_engine
    from search.service import Options, SearchService

    corpus = tmp_path / "corpus"
    for i in range(6):
        import shutil

        shutil.copytree(SEEDS, corpus / f"copy{i}")
    with own_opensearch_index("failover"):
        build_index([corpus], tmp_path / "ix", progress=False, engine_name="opensearch")
    service = SearchService(open_engine(tmp_path / "ix"))
    client().cluster.health(wait_for_status="green", params={"timeout": "60s"}, request_timeout=90)
    queries = ["放管服", "营商环境", '"强区放权"', "改革 district:龙华区", "社区 OR 网格"]
    expected = {q: service.search(q, Options(limit=5))["total"] for q in queries}
    assert all(expected.values())
    failures, answers, stop = [], [], threading.Event()

    def loop():
        while not stop.is_set():
            for q in queries:
                try:
                    r = service.search(q, Options(limit=5))
                    answers.append(r["total"] == expected[q] and len(r["hits"]) == min(5, expected[q]))
                except Exception as exc:  # a failed search is what this test is about
                    failures.append(f"{q}: {exc}")

    noticed = float("nan")
    threads = [threading.Thread(target=loop) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        time.sleep(2)
        killed = subprocess.run([sys.executable, str(SCRIPT), "kill-node", "2"], capture_output=True, text=True)
        assert killed.returncode == 0, killed.stderr
        t0 = time.monotonic()
        while _nodes() > 1 and time.monotonic() - t0 < 60:
            time.sleep(0.2)
        noticed = time.monotonic() - t0
        time.sleep(3)  # searches go on against the survivor
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
        back = subprocess.run([sys.executable, str(SCRIPT), "start-node", "2"], capture_output=True, text=True,
                              timeout=300)
    print(f"\nfailover: {len(answers)} searches, {len(failures)} failed, {answers.count(False)} incomplete; "
          f"the cluster noticed the lost node after {noticed:.1f} s")
    assert not failures, failures[:5]
    assert len(answers) > 50 and all(answers), (len(answers), answers.count(False))
    assert back.returncode == 0, back.stderr
    service.engine.close()


def test_the_scripts_status_says_what_runs():
    done = subprocess.run([sys.executable, str(SCRIPT), "status"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "node-1: pid" in done.stdout and ("green" in done.stdout or "yellow" in done.stdout)


def test_a_cluster_that_allows_fewer_buckets_gives_up_counts_not_the_answer(seed_cluster_index):
    """search.max_buckets caps the buckets of one search: past it, the
    by-document view drops its per-value document counts, then the
    comparison's, each with a note; the documents, their order and the
    paragraph facets stay."""
    from search.engine import open_engine
    from search.service import SearchService

    index, _ = seed_cluster_index
    service = SearchService(open_engine(index))
    full = service.by_document("改革", pivot=True)
    page = service.search("改革", pivot=True)
    settings = client().cluster
    try:
        settings.put_settings(body={"transient": {"search.max_buckets": 40}})
        tight = service.by_document("改革", pivot=True)
        assert tight["documents"] == full["documents"] == 5
        assert [g["doc_id"] for g in tight["groups"]] == [g["doc_id"] for g in full["groups"]]
        assert tight["facets"] == full["facets"]
        assert tight["document_facets"] == {} and any("按文档的分面计数从略" in n for n in tight["notes"])
        settings.put_settings(body={"transient": {"search.max_buckets": 20}})
        tighter = service.search("改革", pivot=True)
        assert tighter["total"] == page["total"] and tighter["facets"] == page["facets"]
        assert tighter["district_years"] == {} and any("地区逐年对比从略" in n for n in tighter["notes"])
    finally:
        settings.put_settings(body={"transient": {"search.max_buckets": None}})
    assert service.by_document("改革", pivot=True)["document_facets"] == full["document_facets"]
