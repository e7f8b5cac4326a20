"""What the three commands (search, search-index, search-web) share.

argparse prints its whole usage block before an error; the contract asks for a
one-line message and exit code 2, so a script's log stays readable.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .text import UNDECODED, shown

class OneLineParser(argparse.ArgumentParser):
    # positionals may stand between options (search 放管服 --district 龙华区 改革)
    intermixed = False

    def error(self, message: str):  # noqa: D401 - argparse's hook
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")

    def parse_args(self, args=None, namespace=None):
        """Also refuse text that is not UTF-8: a byte the terminal's encoding
        could not decode reaches Python as a surrogate, which no search can
        match and no output can print. Paths (``Path`` values) may hold such
        bytes: a file name on Linux is any bytes."""
        parse = super().parse_intermixed_args if self.intermixed else super().parse_args
        parsed = parse(args, namespace)
        names = {a.dest: (a.option_strings or [a.dest])[-1] for a in self._actions}
        for dest, value in vars(parsed).items():
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, str) and UNDECODED.search(item):
                    self.error(f"argument {names.get(dest, dest)}: not valid UTF-8 text "
                               f"({shown(item)[:60]}); check the terminal's encoding")
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
        return fail(prog, f"cannot write the output ({exc.strerror or exc})")
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
        return f"the index is from another version ({exc}); rebuild it: search-index --rebuild --index {root} --corpus DIR"
    return f"the index is damaged ({exc}); rebuild it: search-index --rebuild --index {root} --corpus DIR"


def index_folder(parser: argparse.ArgumentParser, given: Path | None) -> Path:
    """The index to use: ``--index`` or the default; a path that exists but is
    not a folder is a usage error."""
    from . import config

    root = Path(given or config.default_index())
    if root.exists() and not root.is_dir():
        parser.error(f"index is not a folder: {root}")
    return root
