"""Raw UTF-8 in a request line, served as its percent-encoded twin.

curl sends what it is given: ``curl 'http://host/api/search?q=放管服'`` puts
the UTF-8 bytes of 放管服 in the request line, and so does a proxy that
passes the request on as it came (nginx's ``proxy_pass`` without a URI
part). Browsers percent-encode first. waitress takes the line apart with
``urllib.parse.urlsplit``, which accepts only ASCII bytes, and answered
400 "Bad URI". The bytes are unambiguous — UTF-8 is what every client that
sends them means — so each byte outside ASCII is percent-encoded before
waitress splits the line, exactly as a browser would have sent it; the
application then sees the same request either way.
"""
from __future__ import annotations

import re

_NOT_ASCII = re.compile(rb"[\x80-\xff]")


def percent_encoded(uri: bytes) -> bytes:
    """``uri`` with every byte outside ASCII as %XX."""
    return _NOT_ASCII.sub(lambda m: b"%%%02X" % m.group()[0], uri)


def accept_raw_utf8() -> None:
    """Let waitress's request parser split a line holding raw UTF-8 (once
    per process; waitress calls its module's ``split_uri`` for each
    request)."""
    from waitress import parser

    split = parser.split_uri
    if getattr(split, "accepts_raw_utf8", False):
        return

    def split_uri(uri: bytes):
        return split(uri if uri.isascii() else percent_encoded(uri))

    split_uri.accepts_raw_utf8 = True
    parser.split_uri = split_uri
