"""``search-web``: the web page, served by waitress (a production WSGI server)."""
from __future__ import annotations

import sys
from pathlib import Path

from search import config
from search.cliutil import OneLineParser, fail


def build_parser() -> OneLineParser:
    p = OneLineParser(prog="search-web", description="Serve the reform-search web page.")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--index", type=Path, metavar="DIR", help=f"index folder (default {config.default_index()})")
    p.add_argument("--threads", type=int, default=8, help="worker threads (default 8)")
    p.add_argument("--time-limit", type=float, default=5.0, metavar="SECONDS",
                   help="cut facet counting of one search after this long (default 5)")
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not 0 < args.port < 65536:
        parser.error("argument --port: expected 1-65535")
    if not 1 <= args.threads <= 64:
        parser.error("argument --threads: expected 1-64")
    index_root = Path(args.index or config.default_index())
    if index_root.exists() and not index_root.is_dir():
        parser.error(f"index is not a folder: {index_root}")
    try:
        from search.cli import ensure_index

        ensure_index(index_root, None)
        import waitress

        from .app import create_app

        app = create_app(index=index_root, time_limit=args.time_limit)
        print(f"改革检索: http://{args.host}:{args.port}/  (index {index_root.resolve()})", file=sys.stderr)
        waitress.serve(app, host=args.host, port=args.port, threads=args.threads,
                       channel_timeout=60, connection_limit=200, ident="reform-search")
    except KeyboardInterrupt:
        return 0
    except Exception as exc:  # one line, never a traceback (e.g. port in use)
        return fail("search-web", str(exc) or type(exc).__name__)
    return 0


if __name__ == "__main__":
    sys.exit(main())
