"""The engines, and the one place that names them.

Each entry of ``ENGINES`` says what the rest of the product needs to know of
an engine before importing it: where its class is, the command-line options
it takes (every CLI offers them, ``add_options``; ``settings_from`` reads
them, the environment standing in for a flag not given) and whether it needs
a server. The settings reach the engine as keyword arguments of its class
(``open_engine``), never through the environment. Adding an engine is its
module here and its entry below (search/CONTRACT.md, "Adding an engine").
"""
from __future__ import annotations

import argparse
import importlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..i18n import N_, _
from .. import config, storage
from ..engine import Engine
from ..errors import IndexDamaged, IndexMissing

# engine name → {setting: value}: what the options and the environment set
Settings = dict[str, dict[str, str]]


@dataclass(frozen=True)
class Option:
    """One setting of an engine, as a flag, an environment variable and the
    keyword its class takes."""

    setting: str
    flag: str
    env: str
    metavar: str
    help: str
    pattern: str  # what a value must look like
    expected: str  # what the one-line error says it should be
    names_index: bool = False  # names the index on a shared server (each test build takes its own)


@dataclass(frozen=True)
class EngineEntry:
    name: str
    implementation: str  # "module:class", imported on use (an engine's library loads only when chosen)
    options: tuple[Option, ...] = ()
    # the setting naming the server the engine needs (None: its index is files
    # in the index folder); the engine is tested only where it is set
    server: str | None = None
    # scores are the product's BM25 to float precision (False: Lucene's
    # statistics of the heading field count only paragraphs that have one,
    # CONTRACT.md)
    scores_exact: bool = True
    # the archive size (paragraphs) beyond which another engine serves
    # clearly better (docs/engines.md has the figures); None: no such size
    outgrown_at: int | None = None

    def server_missing(self) -> str | None:
        """Why this engine cannot be used here (no server configured), or None."""
        if self.server is None:
            return None
        option = next(o for o in self.options if o.setting == self.server)
        if os.environ.get(option.env):
            return None
        return f"no {self.name} server: set {option.env} (or {option.flag}); scripts/{self.name}-local starts one"


ENGINES: dict[str, EngineEntry] = {entry.name: entry for entry in (
    EngineEntry("whoosh", "search.engines.whoosh:WhooshEngine", outgrown_at=100_000),
    EngineEntry("tantivy", "search.engines.tantivy:TantivyEngine"),
    EngineEntry(
        "opensearch", "search.engines.opensearch:OpenSearchEngine",
        options=(
            Option("url", "--opensearch-url", "REFORM_SEARCH_OPENSEARCH_URL", "URL",
                   N_("OpenSearch cluster of --engine opensearch (default: the one the index names, "
                      "else http://127.0.0.1:9200)"), r"https?://[^\s/]+\S*", "http://host:port"),
            Option("index", "--opensearch-index", "REFORM_SEARCH_OPENSEARCH_INDEX", "NAME",
                   N_("OpenSearch index name, an alias (default reform-search)"), r"[a-z0-9][a-z0-9_.-]*",
                   "lower-case letters, digits, '-', '_' and '.' only", names_index=True),
            Option("timeout", "--opensearch-timeout", "REFORM_SEARCH_OPENSEARCH_TIMEOUT", "SECONDS",
                   N_("the longest one OpenSearch request may take, the whole wait (default 30)"),
                   r"(?:\d{1,4}(?:\.\d+)?|\.\d+)", "a number of seconds"),
        ),
        server="url", scores_exact=False),
)}
DEFAULT_ENGINE = "whoosh"
FIRST_ENGINE = "whoosh"  # the engine of generations from before engines were recorded


class EngineMismatch(Exception):
    """An index asked to be updated by an engine other than the one that built it."""


def add_options(parser: argparse.ArgumentParser) -> None:
    """Every engine's options (each also read from its environment variable)."""
    for entry in ENGINES.values():
        for o in entry.options:
            parser.add_argument(o.flag, metavar=o.metavar, help=_("{help} (also ${env})").format(help=_(o.help), env=o.env))


def settings_from(parser: argparse.ArgumentParser | None = None, args: argparse.Namespace | None = None) -> Settings:
    """The engines' settings: a flag given, else its environment variable.
    A flag of the wrong shape is the parser's one-line error (a ValueError
    without a parser); an environment variable is the engine's to refuse,
    when it is used (it may be set for an engine this index does not use)."""
    settings: Settings = {}
    for entry in ENGINES.values():
        for o in entry.options:
            flagged = getattr(args, o.flag.lstrip("-").replace("-", "_"), None) if args is not None else None
            value = flagged or os.environ.get(o.env)
            if not value:
                continue
            if flagged and not re.fullmatch(o.pattern, flagged):
                message = f"argument {o.flag}: expected {o.expected}, got {flagged!r}"
                if parser is None:
                    raise ValueError(message)
                parser.error(message)
            settings.setdefault(entry.name, {})[o.setting] = value
    return settings


def outgrown(name: str, before: int, after: int) -> str | None:
    """The one line ``search-index`` prints when a run takes an index past
    its engine's comfortable size (``outgrown_at``), else None: said once,
    in the run that crosses it."""
    limit = ENGINES[name].outgrown_at if name in ENGINES else None
    if limit is None or not before < limit <= after:
        return None
    return _("warning: this {engine} index now holds {paragraphs:,} paragraphs; beyond {limit:,} tantivy answers "
             "10-60 times faster with a tenth of the memory (search-index --engine tantivy --rebuild; "
             "docs/engines.md)").format(engine=name, paragraphs=after, limit=limit)


def live_engine(root: str | os.PathLike) -> str | None:
    """The engine that wrote the live generation; None where there is no
    readable one."""
    try:
        gen = storage.live_generation(Path(root))
    except (IndexMissing, IndexDamaged):
        return None
    return storage.generation_engine(gen) or FIRST_ENGINE


def open_engine(index_root: str | os.PathLike | None = None, name: str | None = None,
                rebuild: bool = False, settings: Settings | None = None) -> Engine:
    """The engine for an index folder: the one that built its live generation,
    else ``name``, else the default. ``name`` naming another engine than the
    index's own is ``EngineMismatch`` unless ``rebuild`` (which writes a new
    generation, so it may change engines). ``settings``: the engines'
    (``settings_from``; None: from the environment)."""
    root = Path(index_root or config.default_index())
    built_by = live_engine(root)
    if name is not None and name not in ENGINES:
        raise ValueError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")
    if rebuild and name is not None:
        built_by = None
    if built_by is not None and name is not None and name != built_by:
        raise EngineMismatch(f"{root} was built by {built_by}, not {name}; rebuild it to change engines")
    chosen = built_by or name or DEFAULT_ENGINE
    if chosen not in ENGINES:
        raise ValueError(f"{root} was built by engine {chosen!r}, which this version does not have")
    module, _, cls = ENGINES[chosen].implementation.partition(":")
    if settings is None:
        settings = settings_from()
    return getattr(importlib.import_module(module), cls)(root, **settings.get(chosen, {}))
