"""The web page: Flask over the ``search`` library (read-only)."""
