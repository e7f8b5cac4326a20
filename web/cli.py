"""``search-web``: the web page, served by waitress (a production WSGI server).

waitress runs one process with a thread pool, and Python runs one thread at a
time, so one process uses one core however many clients wait. ``--workers N``
binds the socket once and forks N waitress processes that share it (each opens
its own index readers after the fork; the jieba dictionary is loaded before it,
so its memory is shared). The parent only watches them: a worker that dies is
logged and replaced.
"""
from __future__ import annotations

import os
import signal
import socket
import sys
import time
from collections import deque
from pathlib import Path

from search import config
from search import engines
from search.cliutil import OneLineParser, damaged_message, fail, index_folder, is_explicit
from search.errors import IndexDamaged
from search.i18n import _, use_catalogue
from search.lifetime import die_with_parent
from search.text import int_argument

DEFAULT_TIME_LIMIT = 5.0  # seconds


def build_parser() -> OneLineParser:
    use_catalogue()
    p = OneLineParser(prog="search-web", description=_("Serve the reform-search web page."))
    p.add_argument("--host", default="127.0.0.1", help=_("address to listen on (default 127.0.0.1)"))
    p.add_argument("--port", type=int_argument, default=8000, help=_("port (default 8000)"))
    p.add_argument("--index", type=Path, metavar="DIR", help=_("index folder (default {path})").format(path=config.default_index()))
    p.add_argument("--workers", type=int_argument, default=0,
                   help=_("server processes sharing the port (default 0: one per core where fork() exists, else 1)"))
    p.add_argument("--threads", type=int_argument, default=4, help=_("worker threads per process (default 4)"))
    p.add_argument("--time-limit", type=float, default=DEFAULT_TIME_LIMIT, metavar="SECONDS",
                   help=_("cut facet counting and ranking of one search after this long (default {seconds:g})")
                   .format(seconds=DEFAULT_TIME_LIMIT))
    engines.add_options(p)
    return p


def make_app(index_root: Path, args):
    """The app exactly as ``search-web`` serves it with these arguments; tests
    build theirs here, from the default arguments, so a setting every test
    turned off cannot hide a bug users meet."""
    from .app import create_app

    return create_app(index=index_root, time_limit=args.time_limit or None, settings=args.settings)


def app_for(argv: list[str]):
    """``make_app`` from a command line, e.g. ``app_for(["--index", DIR])``."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.settings = engines.settings_from(parser, args)
    return make_app(args.index or config.default_index(), args)


# What one server process holds open for the public, with the reasons:
# - connections: idle or slow clients each keep one; 1,000 per process (with
#   poll(), not select(), whose 1,024-descriptor ceiling would crash the loop)
#   before a new one waits in the listen backlog;
# - an idle or slow connection is dropped after 15 s without a byte, and
#   looked for every 2 s, so a crowd of idle sockets frees its places quickly;
# - a request's headers stop at 64 KB and its body at 64 KB (the server only
#   answers GET).
SERVER_LIMITS = dict(connection_limit=1000, asyncore_use_poll=True, channel_timeout=15, cleanup_interval=2,
                     backlog=2048, max_request_header_size=65536, max_request_body_size=65536)


def _serve(sock: socket.socket, index_root: Path, args) -> None:
    import waitress

    from .raw_urls import accept_raw_utf8

    accept_raw_utf8()  # curl's raw UTF-8 request line, as its percent-encoded twin
    app = make_app(index_root, args)
    _read_ahead(app)
    waitress.serve(app, sockets=[sock], threads=args.threads, ident="reform-search", **SERVER_LIMITS)


def _read_ahead(app) -> None:
    """The documents table (home page, suggestions' titles) read while the
    worker starts, not in its first visitor's request; a failure here is
    met again, and said, by the request that needs it."""
    import threading

    from .current import EXTENSION

    def read():
        try:
            app.extensions[EXTENSION].catalogue()
        except Exception:
            pass

    threading.Thread(target=read, name="read-ahead", daemon=True).start()


def _enough_descriptors() -> None:
    """Each connection is a file descriptor: raise the soft limit as far as the
    hard one allows, so 1,000 connections per process fit."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        want = SERVER_LIMITS["connection_limit"] + 256
        if soft != resource.RLIM_INFINITY and soft < want:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want if hard == resource.RLIM_INFINITY else min(want, hard), hard))
    except (ImportError, ValueError, OSError):
        pass


# A worker that dies (the OOM killer, a crash in native code) is replaced; one
# that dies again and again (a bad deployment) stops the server instead of
# forking in a loop: more than this many deaths within a minute.
RESTARTS_PER_MINUTE = 10


def _log(message: str) -> None:
    print(f"search-web: {time.strftime('%Y-%m-%d %H:%M:%S')} {message}", file=sys.stderr, flush=True)


def _prefork(sock: socket.socket, index_root: Path, args) -> int:
    """Fork ``--workers`` waitress processes on the shared socket and watch
    them: a worker that dies is logged and replaced, so one killed process
    never closes the port; SIGTERM or SIGINT stops them all."""
    from search import segmenter
    from search.lifetime import how_it_ended
    from search.query import completion

    segmenter.tokenizer()  # loaded once, shared copy-on-write by every worker
    completion.dictionary_words()  # the suggestions' sorted words, likewise
    children: set[int] = set()

    def spawn() -> int:
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            try:
                die_with_parent()  # a killed supervisor leaves no orphan holding the port
                _serve(sock, index_root, args)
            except KeyboardInterrupt:
                pass
            finally:
                os._exit(0)
        children.add(pid)
        return pid

    for _worker in range(args.workers):
        spawn()
    stopping = False

    def stop(signum, _frame):
        nonlocal stopping
        stopping = True
        for child in list(children):
            try:
                os.kill(child, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    deaths: deque[float] = deque()
    failed = False
    while children:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        children.discard(pid)
        if stopping:
            continue
        how = how_it_ended(os.waitstatus_to_exitcode(status))
        now = time.monotonic()
        deaths.append(now)
        while deaths and deaths[0] < now - 60:
            deaths.popleft()
        if len(deaths) > RESTARTS_PER_MINUTE:
            _log(f"worker {pid} ended ({how}), the {len(deaths)}th within a minute: stopping the server")
            failed = True
            stop(None, None)
            continue
        _log(f"worker {pid} ended ({how}); worker {spawn()} serves in its place")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.settings = engines.settings_from(parser, args)
    if not 0 < args.port < 65536:
        parser.error(_("argument --port: expected 1-65535"))
    if not 1 <= args.threads <= 64:
        parser.error(_("argument --threads: expected 1-64"))
    if not 0 <= args.workers <= 32:
        parser.error(_("argument --workers: expected 0-32"))
    if args.workers == 0:
        args.workers = min(os.cpu_count() or 1, 8) if hasattr(os, "fork") else 1
    if args.workers > 1 and not hasattr(os, "fork"):
        parser.error(_("argument --workers: needs a system with fork(); use 1"))
    index_root = index_folder(parser, args.index)
    try:
        from indexer.first_use import ensure_index

        ensure_index(parser, index_root, None, explicit=is_explicit(args.index), settings=args.settings)
        engines.open_engine(index_root, settings=args.settings).check()  # a damaged index: say so now, not on every request
        _enough_descriptors()
        sock = socket.create_server((args.host, args.port), backlog=SERVER_LIMITS["backlog"], reuse_port=False)
        sock.setblocking(False)
        print(f"改革检索: http://{args.host}:{args.port}/  (index {index_root.resolve()}, "
              f"{args.workers} × {args.threads} threads)", file=sys.stderr)
        if not hasattr(os, "fork"):  # one process, unwatched: nothing could restart it
            _serve(sock, index_root, args)
            return 0
        return _prefork(sock, index_root, args)
    except KeyboardInterrupt:
        return 0
    except IndexDamaged as exc:
        return fail("search-web", damaged_message(exc, index_root))
    except Exception as exc:  # one line, never a traceback (e.g. port in use)
        return fail("search-web", str(exc) or type(exc).__name__)


if __name__ == "__main__":
    sys.exit(main())
