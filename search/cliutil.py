"""What the three commands (search, search-index, search-web) share.

argparse prints its whole usage block before an error; the contract asks for a
one-line message and exit code 2, so a script's log stays readable.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


class OneLineParser(argparse.ArgumentParser):
    def error(self, message: str):  # noqa: D401 - argparse's hook
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def fail(prog: str, message: str, code: int = 1) -> int:
    """Print one line on stderr and return the exit code."""
    print(f"{prog}: {message}", file=sys.stderr)
    return code


def index_folder(parser: argparse.ArgumentParser, given: Path | None) -> Path:
    """The index to use: ``--index`` or the default; a path that exists but is
    not a folder is a usage error (the index is built there if missing)."""
    from . import config

    root = Path(given or config.default_index())
    if root.exists() and not root.is_dir():
        parser.error(f"index is not a folder: {root}")
    return root
