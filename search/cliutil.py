"""What the three commands (search, search-index, search-web) share.

argparse prints its whole usage block before an error; the contract asks for a
one-line message and exit code 2, so a script's log stays readable.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from .i18n import _
from .text import UNDECODED, shown


def columns(text: str) -> int:
    """How many terminal columns ``text`` takes: a Chinese character two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


_NO_LINE_START = frozenset("）」』】》，。、；：！？'\"")  # stays at the end of the line before (避头点)


class ColumnsHelpFormatter(argparse.HelpFormatter):
    """argparse wraps help by characters; a Chinese line would then run to
    twice the terminal's width. This one wraps by columns, breaking at a
    space where there is one and between two Chinese characters anywhere."""

    def _split_lines(self, text, width):
        lines, line = [], ""
        for piece in re.findall(r"[\x00-\u2e7f]+?(?=\s|[^\x00-\u2e7f]|$)\s*|[^\x00-\u2e7f]", " ".join(text.split())):
            if line and columns(line + piece.rstrip()) > width and piece not in _NO_LINE_START:
                lines.append(line.rstrip())
                line = piece.lstrip()
            else:
                line += piece
        if line.strip():
            lines.append(line.rstrip())
        return lines


class OneLineParser(argparse.ArgumentParser):
    # positionals may stand between options (search 放管服 --district 龙华区 改革)
    intermixed = False

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", ColumnsHelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str):  # noqa: D401 - argparse's hook
        self.exit(2, _("{prog}: {message} (see {prog} --help)").format(prog=self.prog, message=message) + "\n")

    def parse_args(self, args=None, namespace=None):
        """Also refuse text that is not UTF-8: a byte the terminal's encoding
        could not decode reaches Python as a surrogate, which no search can
        match and no output can print. Paths (``Path`` values) may hold such
        bytes: a file name on Linux is any bytes."""
        if self.intermixed and self.usage is None:
            # argparse's intermixed parse keeps its usage line less the first
            # len("usage: ") characters: a translated prefix is another length
            import gettext

            self.usage = self.format_usage()[len(gettext.gettext("usage: ")):]
        parse = super().parse_intermixed_args if self.intermixed else super().parse_args
        parsed = parse(args, namespace)
        names = {a.dest: (a.option_strings or [a.dest])[-1] for a in self._actions}
        for dest, value in vars(parsed).items():
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, str) and UNDECODED.search(item):
                    self.error(_("argument {name}: not valid UTF-8 text ({text}); check the terminal's encoding")
                               .format(name=names.get(dest, dest), text=shown(item)[:60]))
        return parsed


def fail(prog: str, message: str, code: int = 1) -> int:
    """Print one line on stderr and return the exit code."""
    print(f"{prog}: {message}", file=sys.stderr)
    return code


def write_output(prog: str, write) -> int:
    """Run ``write()`` (printing to stdout) and say in one line if stdout
    cannot take it: a reader that closed the pipe (``| head``) is no error;
    a full disk (``> /dev/full``) or a vanished terminal is exit 1, never a
    traceback. stdout is pointed at /dev/null afterwards, so Python's own
    flush at exit does not fail a second time."""
    try:
        write()
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
        return 0
    except OSError as exc:
        _silence_stdout()
        return fail(prog, _("cannot write the output ({reason})").format(reason=exc.strerror or exc))
    return 0


def _silence_stdout() -> None:
    import os

    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def is_explicit(given: Path | None) -> bool:
    """``--index`` names somewhere other than the default location."""
    from . import config

    return given is not None and Path(given).resolve() != Path(config.default_index()).resolve()


def damaged_message(exc: Exception, root: Path) -> str:
    from .errors import EngineUnavailable

    if isinstance(exc, EngineUnavailable):  # the server's fault, not the index's: no rebuild advice
        return str(exc)
    from .errors import IndexFromAnotherVersion

    if isinstance(exc, IndexFromAnotherVersion):
        return _("the index is from another version ({reason}); rebuild it: search-index --rebuild --index {path} "
                 "--corpus DIR").format(reason=exc, path=root)
    return _("the index is damaged ({reason}); rebuild it: search-index --rebuild --index {path} --corpus DIR").format(
        reason=exc, path=root)


def index_folder(parser: argparse.ArgumentParser, given: Path | None) -> Path:
    """The index to use: ``--index`` or the default; a path that exists but is
    not a folder is a usage error."""
    from . import config

    root = Path(given or config.default_index())
    if root.exists() and not root.is_dir():
        parser.error(_("index is not a folder: {path}").format(path=root))
    return root
