#!/usr/bin/env python3
"""Keep the Chinese catalogue in step with the code (Babel, the standard
tools' library): extract every ``_("…")`` and ``N_("…")`` of the commands
and the words argparse prints, add the new ones to
``search/locale/zh/LC_MESSAGES/reform-search.po`` (untranslated, for a
person to fill in), drop those the code no longer says, and compile the
``.mo`` the commands read.

    python scripts/i18n.py          # update the .po, compile the .mo
    python scripts/i18n.py --check  # exit 1 when either is out of step (the tests run this)
"""
from __future__ import annotations

import argparse as argparse_module
import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "search" / "locale" / "zh" / "LC_MESSAGES" / "reform-search.po"
MO = PO.with_suffix(".mo")
SOURCES = ["search", "indexer", "web"]
KEYWORDS = {"_": None, "N_": None}
# what argparse itself prints to a user of our commands (its own _() calls)
ARGPARSE = {"usage: ", "options", "positional arguments", "show this help message and exit",
            "unrecognized arguments: %s", "the following arguments are required: %s",
            "argument %(argument_name)s: %(message)s", "invalid choice: %(value)r (choose from %(choices)s)",
            "expected one argument", "invalid %(type)s value: %(value)r", "not allowed with argument %s",
            "ambiguous option: %(option)s could match %(matches)s", "expected at least one argument",
            "ignored explicit argument %r"}


def extracted() -> dict[str, list[tuple[str, int]]]:
    """msgid → where it is said."""
    found: dict[str, list[tuple[str, int]]] = {}
    for folder in SOURCES:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for line, message, _comments, _context in extract_from_file("python", str(path), keywords=KEYWORDS):
                if isinstance(message, str) and message:
                    found.setdefault(message, []).append((str(path.relative_to(ROOT)), line))
    source = Path(argparse_module.__file__)
    for line, message, _comments, _context in extract_from_file("python", str(source), keywords=KEYWORDS):
        if isinstance(message, str) and message in ARGPARSE:
            found.setdefault(message, []).append(("argparse.py", line))
    return found


def updated() -> tuple[Catalog, bytes, bytes]:
    """(the catalogue, its .po bytes, its .mo bytes) as the code now asks."""
    if PO.exists():
        with open(PO, "rb") as fh:
            old = read_po(fh, locale="zh_CN")
    else:
        old = Catalog(locale="zh_CN")
    # the dates kept from the file, so an unchanged catalogue writes the same bytes
    catalog = Catalog(locale="zh_CN", domain="reform-search", project="reform-search", version="0.1.0",
                      charset="utf-8", fuzzy=False, creation_date=old.creation_date,
                      revision_date=old.revision_date, last_translator="reform-search",
                      language_team="reform-search")
    for message, where in sorted(extracted().items()):
        before = old.get(message)
        catalog.add(message, before.string if before is not None else "", locations=where,
                    flags=("python-format",) if "%(" in message or "%s" in message or "%r" in message else ())
    po, mo = io.BytesIO(), io.BytesIO()
    write_po(po, catalog, width=120, omit_header=False, sort_output=True, include_lineno=False)
    write_mo(mo, catalog)
    return catalog, po.getvalue(), mo.getvalue()


def main(argv: list[str]) -> int:
    catalog, po, mo = updated()
    missing = [m.id for m in catalog if m.id and not m.string]
    if "--check" in argv:
        stale = PO.read_bytes() != po or not MO.exists() or MO.read_bytes() != mo
        for message in missing:
            print(f"untranslated: {message!r}", file=sys.stderr)
        if stale:
            print("search/locale is out of step with the code: run python scripts/i18n.py", file=sys.stderr)
        return 1 if stale or missing else 0
    PO.write_bytes(po)
    MO.write_bytes(mo)
    print(f"{PO.relative_to(ROOT)}: {len(catalog) - len(missing)} translated, {len(missing)} to translate")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
