"""Small text rules every layer shares: reading a number a user typed, and
showing text from files and errors safely on one line.

``str.isdigit()`` is true for ``²``, ``①`` and ``₁``, which ``int()``
refuses, and ``int()`` itself takes ``１２``, ``1_000``, ``+5`` and spaces:
neither is what a URL parameter, an option or a file's attribute means by
a number. Every place that parses a number from outside reads it here.
"""
from __future__ import annotations

import argparse
import re

_ASCII_INT = re.compile(r"[0-9]{1,18}")
# C0 and C1 controls, DEL, and the bidirectional overrides that reorder what a
# terminal shows: text from indexed files must never drive the terminal.
_ESCAPE_SEQUENCES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x9b[0-?]*[ -/]*[@-~]"  # CSI
                               r"|\x1b\][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"  # OSC, to BEL or ST
                               r"|\x1b[@-_]")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
UNDECODED = re.compile(r"[\udc80-\udcff]")  # how os.fsdecode hands over a byte that was not UTF-8
_UNSHOWABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def ascii_int(text: object) -> int | None:
    """The value of ``text`` if it is ASCII digits only (at most 18 of
    them), else None."""
    if isinstance(text, str) and _ASCII_INT.fullmatch(text):
        return int(text)
    return None


def int_argument(text: str) -> int:
    """An argparse ``type``: a whole number written in ASCII digits."""
    value = ascii_int(text)
    if value is None:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}")
    return value


def plain(text: str) -> str:
    """Text from the index made safe for a terminal: control characters
    (an escape sequence in a scraped page) are dropped; tabs stay, newlines
    become spaces."""
    if not text:
        return text
    return _CONTROLS.sub("", _ESCAPE_SEQUENCES.sub("", text.replace("\n", " ")))


def shown(text: str) -> str:
    """A file name or reason for a one-line report: every control character,
    and every byte that was not UTF-8, written out as an escape (a newline in a
    name cannot start a forged line)."""
    def escape(m: re.Match) -> str:
        ch = m.group()
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte, as os.fsdecode hands it over
            return f"\\x{code - 0xDC00:02x}"
        return ch.encode("unicode_escape").decode("ascii") if code < 0x10000 else ch

    return _UNSHOWABLE.sub(escape, text)


def one_line(exc: BaseException) -> str:
    """An exception as the one line a report or message shows."""
    return (str(exc) or type(exc).__name__).splitlines()[0]
