"""The service a request is answered by: one per app, opened when the app
is made (``web.app.create_app``), read by every handler."""
from __future__ import annotations

from flask import current_app

from search.service import SearchService

EXTENSION = "reform-search"


def current_service() -> SearchService:
    return current_app.extensions[EXTENSION]
