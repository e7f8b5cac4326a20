"""The commands in the reader's language (#24): a Chinese locale gets
Chinese help, usage errors and the indexer's summary through gettext;
any other gets English. The catalogue is checked against the code."""
from __future__ import annotations

import os
import subprocess
import sys

from search import config
from search.cliutil import columns


def _run(module: str, *args, lang: str):
    env = {k: v for k, v in os.environ.items() if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")}
    env.update(LANG=lang, COLUMNS="80")
    return subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True, timeout=120,
                          cwd=config.PROJECT_ROOT, env=env)


def test_the_catalogue_holds_every_message_the_code_says_translated():
    check = subprocess.run([sys.executable, "scripts/i18n.py", "--check"], capture_output=True, text=True,
                           cwd=config.PROJECT_ROOT, timeout=120)
    assert check.returncode == 0, check.stderr


def test_help_is_chinese_in_a_chinese_locale_and_english_otherwise():
    for module, says in (("search.cli", "检索改革文件全文"), ("indexer.cli", "编入索引"), ("web.cli", "网页服务")):
        zh = _run(module, "--help", lang="zh_CN.UTF-8")
        assert zh.returncode == 0 and zh.stdout.startswith("用法：") and says in zh.stdout
        assert "显示本帮助并退出" in zh.stdout and "选项:" in zh.stdout
        # wrapped by columns, not characters (a closing mark may hang past the edge: 避头点)
        assert max(columns(line) for line in zh.stdout.splitlines()) <= 82
        assert not any(line.strip().startswith(("）", "，", "。")) for line in zh.stdout.splitlines())
        en = _run(module, "--help", lang="C.UTF-8")
        assert en.returncode == 0 and en.stdout.startswith("usage: ") and "show this help message" in en.stdout
    traditional = _run("search.cli", "--help", lang="zh_TW.UTF-8")
    assert traditional.stdout.startswith("用法：search")  # the intermixed parser keeps its whole usage line


def test_usage_errors_are_one_chinese_line_with_exit_2():
    for args, says in ((["--year", "20x", "改革"], "参数 --year：应为 2020 或 2018-2021"),
                       (["--bogus", "改革"], "无法识别的参数：--bogus"),
                       (["--sort", "bad", "改革"], "无效的取值"),
                       (["--list", "改革"], "--list 不接受检索词")):
        r = _run("search.cli", *args, lang="zh_CN.UTF-8")
        assert r.returncode == 2 and r.stderr.startswith("search：") and says in r.stderr, r.stderr
        assert len(r.stderr.strip().splitlines()) == 1 and "（见 search --help）" in r.stderr
    english = _run("search.cli", "--year", "20x", "改革", lang="en_US.UTF-8")
    assert english.stderr.startswith("search: argument --year: expected 2020")


def test_the_indexers_summary_speaks_the_readers_language(tmp_path):
    corpus = config.PROJECT_ROOT / "data" / "corpus"
    zh = _run("indexer.cli", "--corpus", str(corpus), "--index", str(tmp_path / "ix"), "--no-progress",
              lang="zh_CN.UTF-8")
    assert zh.returncode == 0, zh.stderr
    assert zh.stdout.startswith("文档：新增 5，修改 0，删除 0，未变 0；共索引 238 个段落")
    assert "索引：" in zh.stdout and "每秒" in zh.stdout
    again = _run("indexer.cli", "--corpus", str(corpus), "--index", str(tmp_path / "ix"), "--no-progress",
                 lang="C.UTF-8")
    assert again.stdout.startswith("documents: 0 added, 0 changed, 0 removed, 5 unchanged")
    missing = _run("indexer.cli", "--corpus", str(tmp_path / "nope"), lang="zh_CN.UTF-8")
    assert missing.returncode == 2 and "找不到语料文件夹" in missing.stderr
