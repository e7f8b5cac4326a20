"""What the commands print is safe to print: no escape sequence from an
indexed page reaches the terminal, a closed pipe is no error, and a query may
start with its exclusion."""
from __future__ import annotations

import json
import subprocess
import sys

from search import config

HOSTILE = ("恶意页面\n\n\x1b]0;pwned\x07本区深化放管服改革\x1b[2J，\x9b31m优化营商环境\x1b[0m。\n"
           "\u202e倒序文字：推进强区放权。\n")


def _run(*args, **kw):
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, timeout=120,
                          cwd=config.PROJECT_ROOT, **kw)


def test_escape_sequences_in_indexed_text_never_reach_the_terminal(tmp_path):
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "evil.txt").write_text(HOSTILE, encoding="utf-8")
    assert _run("indexer.cli", "--corpus", str(tmp_path / "c"), "--index", str(tmp_path / "ix")).returncode == 0
    texts = []
    for query in ("放管服", "强区放权"):
        human = _run("search.cli", query, "--index", str(tmp_path / "ix"))
        assert human.returncode == 0 and "共 1 段" in human.stdout
        data = json.loads(_run("search.cli", query, "--json", "--index", str(tmp_path / "ix")).stdout)
        for out in (human.stdout, data["hits"][0]["text"], data["hits"][0]["snippet"]):
            assert not any(ch in out for ch in "\x1b\x07\x9b\u202e"), repr(out)
        texts.append(data["hits"][0]["text"])
    assert texts == ["本区深化放管服改革，优化营商环境。", "倒序文字：推进强区放权。"]  # the words themselves stay


def test_search_index_into_a_closed_pipe_is_not_an_error(tmp_path):
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "good.txt").write_text("说明\n\n深化放管服改革。\n", encoding="utf-8")
    for n in range(1500):  # a skip report longer than a pipe holds (64 KB)
        (corpus / f"an-empty-file-with-a-rather-long-name-{n:04d}.txt").write_bytes(b"")
    cmd = (f"{sys.executable} -m indexer.cli --corpus {corpus} --index {tmp_path / 'ix'} --no-progress | head -1")
    done = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], capture_output=True, text=True, timeout=120,
                          cwd=config.PROJECT_ROOT)
    assert done.stdout.startswith("documents: 1 added")
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr
    assert done.returncode == 0


def test_a_query_that_starts_with_an_exclusion_needs_no_double_dash(seed_index):
    done = _run("search.cli", "-放管服", "--json", "--index", str(seed_index))
    assert done.returncode == 0, done.stderr
    every = json.loads(_run("search.cli", "改革 OR 深圳", "--json", "--index", str(seed_index), "-n", "1").stdout)
    data = json.loads(done.stdout)
    assert data["total"] > 0 and all("放管服" not in h["text"] for h in data["hits"])
    both = json.loads(_run("search.cli", "-放管服 营商环境", "--json", "--index", str(seed_index)).stdout)
    assert both["total"] > 0 and every["total"] > 0


def test_words_need_no_quotes_and_a_page_past_the_end_says_where_the_end_is(seed_index):
    """#24: `search 放管服 改革` was "unrecognized arguments: 改革"; words may
    also stand between options. A page past the end said only "共 N 段。"."""
    two = _run("search.cli", "放管服", "改革", "--json", "--index", str(seed_index))
    assert two.returncode == 0, two.stderr
    assert json.loads(two.stdout)["query"] == "放管服 改革"
    between = _run("search.cli", "放管服", "--district", "龙华区", "改革", "--json", "--index", str(seed_index))
    answer = json.loads(between.stdout)
    assert answer["query"] == "放管服 改革" and {h["district"] for h in answer["hits"]} == {"龙华区"}
    past = _run("search.cli", "放管服", "--page", "40", "--index", str(seed_index))
    assert past.returncode == 0 and "共 1 页" in past.stdout and "--page 1 到 --page 1" in past.stdout
    grouped = _run("search.cli", "改革", "--by-document", "--page", "9", "--index", str(seed_index))
    assert "共 1 页" in grouped.stdout
