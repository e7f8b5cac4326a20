"""Where the project's editable data and generated files live.

Everything a user may want to change (dictionary, aliases, domain and boilerplate
rules, administrative units) is a plain file under ``data/``. The location can be
moved with environment variables so that an installed copy can point at a
writable place; the defaults are the checkout's own ``data/`` folder.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
def data_dir() -> Path:
    """The checkout's ``data/`` (editable install), else the copy a regular
    install put under ``<prefix>/share/reform-search/data``."""
    if "REFORM_SEARCH_DATA" in os.environ:
        return Path(os.environ["REFORM_SEARCH_DATA"])
    checkout = PROJECT_ROOT / "data"
    if checkout.is_dir():
        return checkout
    return Path(sys.prefix) / "share" / "reform-search" / "data"


def default_corpus() -> Path:
    return data_dir() / "corpus"


def default_index() -> Path:
    return Path(os.environ.get("REFORM_SEARCH_INDEX", data_dir() / "index"))


def cache_dir() -> Path:
    """A cache folder the project owns (jieba's prefix-dictionary cache lives here,
    not in the shared /tmp where another user's stale or hostile file could be read)."""
    base = os.environ.get("REFORM_SEARCH_CACHE") or os.environ.get("XDG_CACHE_HOME")
    root = Path(base) if base else Path.home() / ".cache"
    path = root / "reform-search" if not os.environ.get("REFORM_SEARCH_CACHE") else root
    path.mkdir(parents=True, exist_ok=True)
    return path


def dict_files() -> list[Path]:
    return sorted((data_dir() / "dict").glob("*.txt"))


def aliases_file() -> Path:
    return data_dir() / "aliases.txt"


def domains_file() -> Path:
    return data_dir() / "domains.txt"


def boilerplate_file() -> Path:
    return data_dir() / "boilerplate.txt"


def units_file() -> Path:
    return data_dir() / "units.tsv"
