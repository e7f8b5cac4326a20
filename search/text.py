"""Small text rules every layer shares: reading a number a user typed.

``str.isdigit()`` is true for ``²``, ``①`` and ``₁``, which ``int()``
refuses, and ``int()`` itself takes ``１２``, ``1_000``, ``+5`` and spaces:
neither is what a URL parameter, an option or a file's attribute means by
a number. Every place that parses a number from outside reads it here.
"""
from __future__ import annotations

import argparse
import re

_ASCII_INT = re.compile(r"[0-9]{1,18}")


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
