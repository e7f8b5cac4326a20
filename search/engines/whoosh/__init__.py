"""Whoosh, the default engine: pure Python, embedded, what the product was
specified with. ``engine`` serves and updates an index, ``schema`` says what
it holds, ``writer`` commits a run, ``bm25`` scores as Lucene does,
``counting`` counts facets in the pass that ranks, ``files`` reads segments
in place."""
from .engine import WhooshEngine

__all__ = ["WhooshEngine"]
