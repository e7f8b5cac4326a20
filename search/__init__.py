"""改革检索 — the search library: analysis, query language, engine, highlighting, CLI.

Nothing in this package imports ``web`` or ``indexer``; ``web`` and the CLI only
call the small public surface of ``search.service``.
"""
