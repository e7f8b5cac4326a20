"""The one exception of reading: a file the indexer will not index, with the
reason the run's report shows. Its own module, so the format readers
(``read_pdf``, ``read_docx``) and ``read``, which calls them, need not import
each other."""
from __future__ import annotations


class SkipFile(Exception):
    """A file we will not index, with the reason shown to the user."""
