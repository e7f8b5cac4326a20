"""``search-index``: bring an index in line with one or more corpus folders."""
from __future__ import annotations

import errno
import sys
import time
from pathlib import Path

from search import config
from search import engines
from search.cliutil import OneLineParser, damaged_message, fail, index_folder, write_output
from search.i18n import _, use_catalogue
from search.engines import DEFAULT_ENGINE, ENGINES
from search.text import int_argument


def build_parser() -> OneLineParser:
    use_catalogue()
    p = OneLineParser(
        prog="search-index",
        description=_("Index folders of .txt/.md/.html reform documents (incremental by default)."),
    )
    p.add_argument("--corpus", action="append", type=Path, metavar="DIR",
                   help=_("a corpus folder (repeatable; default {path})").format(path=config.default_corpus()))
    p.add_argument("--index", type=Path, metavar="DIR", help=_("index folder (default {path})").format(path=config.default_index()))
    p.add_argument("--rebuild", action="store_true", help=_("build a fresh index instead of updating"))
    p.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                   help=_("wait this long for another indexer on the same index to finish (default: do not wait)"))
    p.add_argument("--procs", type=int_argument, default=0, metavar="N",
                   help=_("analysis processes, and the engine's writers (default 0: one per core for large runs, "
                        "1 for small ones)"))
    p.add_argument("--no-progress", action="store_true", help=_("no progress bar"))
    p.add_argument("--engine", choices=sorted(ENGINES), default=None,
                   help=_("engine of a new index (default: the index's own, else {engine}); changing it needs --rebuild")
                   .format(engine=DEFAULT_ENGINE))
    engines.add_options(p)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    settings = engines.settings_from(parser, args)
    if not 0 <= args.procs <= 16:
        parser.error(_("argument --procs: expected 0-16"))
    from search.engines import EngineMismatch
    from search.errors import IndexDamaged, IndexIncomplete
    from search.storage import IndexBusy

    from .build import RunFailed, build_index

    corpora = args.corpus or [config.default_corpus()]
    for corpus in corpora:
        if not corpus.is_dir():
            return fail("search-index", _("corpus folder not found: {path}").format(path=corpus), 2)
    index_root = index_folder(parser, args.index)
    unchanged = _("the previous index is unchanged")
    started = time.perf_counter()
    try:
        report = build_index(corpora, index_root, rebuild=args.rebuild,
                             progress=False if args.no_progress else None, lock_timeout=args.wait,
                             procs=args.procs or None, engine_name=args.engine, settings=settings)
    except (IndexBusy, EngineMismatch) as exc:
        return fail("search-index", str(exc))
    except IndexDamaged as exc:
        return fail("search-index", damaged_message(exc, index_root))
    except (IndexIncomplete, RunFailed) as exc:
        return fail("search-index", _("{reason}; nothing was switched, {unchanged}").format(reason=exc, unchanged=unchanged))
    except KeyboardInterrupt:
        return fail("search-index", _("interrupted; {unchanged}").format(unchanged=unchanged), 130)
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            return fail("search-index", _("disk full while writing {path}; {unchanged} (free some space and run again)")
                        .format(path=index_root, unchanged=unchanged))
        return fail("search-index", f"{exc.strerror or exc}: {exc.filename or index_root}; {unchanged}")
    elapsed = time.perf_counter() - started
    if report.held_after is not None:
        warning = engines.outgrown(report.engine, report.held_before, report.held_after)
        if warning:
            print(f"search-index: {warning}", file=sys.stderr)
    rate = report.characters / elapsed if elapsed > 0 else 0
    # the index is written either way; only the report may be lost
    return write_output("search-index", lambda: print(report.summary() + "\n" + _(
        "index: {path} ({seconds:.1f} s, {rate:,.0f} characters/s)").format(
            path=Path(index_root).resolve(), seconds=elapsed, rate=rate)))


if __name__ == "__main__":
    sys.exit(main())
