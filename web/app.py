"""The Flask application: pages and a JSON API over ``search.service``.

``create_app`` receives what it needs (an opened ``SearchService`` or an index
folder) so tests build an app on a tiny index and the server opens the index
once per process. Three blueprints hold the routes: ``pages`` (what a reader
sees), ``api`` (the same as JSON, and exports) and ``operations`` (what
surrounds every request, health and errors). The app never writes: every
route reads.
"""
from __future__ import annotations

from pathlib import Path

from flask import Flask
from markupsafe import Markup

from search import present
from search.engine import FACETS
from search.engines import Settings, open_engine
from search.service import SearchService

from .advanced import advanced
from .api import api
from .browse import browse
from .current import EXTENSION
from .feed import feed
from .operations import operations
from .pages import pages


def create_app(service: SearchService | None = None, index: str | Path | None = None,
               time_limit: float | None = None, settings: Settings | None = None) -> Flask:
    """``time_limit``: seconds per search (None: none). ``search-web`` passes
    its ``--time-limit`` and the engines' options (``settings``); build a
    server's app with ``web.cli.make_app``."""
    app = Flask(__name__)
    app.config["JSON_AS_ASCII"] = False
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    if service is None:
        service = SearchService(open_engine(index, settings=settings), time_limit=time_limit, settings=settings)
    app.extensions[EXTENSION] = service
    for blueprint in (operations, pages, api, browse, advanced, feed):
        app.register_blueprint(blueprint)
    app.jinja_env.globals["FACETS"] = FACETS
    app.jinja_env.globals["date_source"] = present.date_source
    # marks rendered here, from the answer's offsets (HTML-escaped text)
    app.jinja_env.globals["excerpt"] = lambda hit: Markup(present.excerpt(hit))
    app.jinja_env.globals["heading_path"] = lambda item: Markup(present.heading_path(item))
    app.jinja_env.globals["marked"] = lambda text, spans: Markup(present.marked(text, spans))
    return app
