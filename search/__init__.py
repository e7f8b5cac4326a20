"""改革检索 — the search library: analysis, the query language and its
readings, the engines behind one contract, the service, highlighting, and
the ``search`` command.

No library module here imports ``web`` or ``indexer``, or a command's module
(``tests/test_layers.py``); only the ``search`` command reaches the indexer
(``indexer.first_use``), to build the shipped corpus's index on first use.
The edges (``web``, the commands) ask ``search.service`` for answers and
``search.engines`` only to open an index; the query side is ``search.query``.
"""
