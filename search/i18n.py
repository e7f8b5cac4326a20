"""The commands' words in the reader's language: gettext, the standard
mechanism, with one catalogue (``search/locale/zh/LC_MESSAGES/reform-search.po``,
compiled to ``.mo`` by ``scripts/i18n.py``).

A Chinese locale (``LANG=zh_CN.UTF-8``, ``zh_TW``, ``LANGUAGE=zh``…) gets
Chinese help, usage errors and the indexer's summary; any other gets the
English the code is written in. ``use_catalogue`` also makes the catalogue
the process's text domain, which is where argparse looks up its own words
(``usage:``, ``options``, "unrecognized arguments"); only the commands call
it, never the library.
"""
from __future__ import annotations

import gettext
from functools import lru_cache
from pathlib import Path

DOMAIN = "reform-search"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"


@lru_cache(maxsize=1)
def _catalogue() -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, LOCALE_DIR, fallback=True)


def _(message: str) -> str:
    """``message`` in the reader's language (as written when there is no
    translation)."""
    return _catalogue().gettext(message)


def N_(message: str) -> str:
    """Marks a message for the catalogue where it is defined; ``_`` translates
    it where it is shown."""
    return message


def use_catalogue() -> None:
    gettext.bindtextdomain(DOMAIN, str(LOCALE_DIR))
    gettext.textdomain(DOMAIN)
