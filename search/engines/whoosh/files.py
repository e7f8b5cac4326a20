"""Whoosh's segment files read in place from the memory map, not copied.

A Whoosh segment is one compound file, memory-mapped; each part of it
(postings, terms, stored fields, columns) is opened as a ``BufferFile``,
whose ``BytesIO`` copies that part into the process's own memory. Every
searcher opens every part, and the engine keeps one searcher per thread (a
reader moves one file position through its postings), so a worker serving 4
threads held the index 4 times over, and a large archive did not fit in
memory (docs/engines.md's serving table has the figures). Here a part is a window on the map with a
position of its own: a read copies only the bytes it returns, the pages are
the page cache's, shared by every searcher and every worker, and threads
still never share a position.

``install()`` replaces ``CompoundStorage.open_file`` for maps only (a
segment Whoosh could not map is read as Whoosh reads it).
"""
from __future__ import annotations

from whoosh.filedb import compound
from whoosh.filedb.filestore import StorageError
from whoosh.filedb.structfile import BufferFile


class _Window:
    """A read-only file over ``[start, end)`` of a memory map."""

    __slots__ = ("_map", "_start", "_end", "_pos")

    def __init__(self, source, start: int, length: int):
        self._map, self._start, self._end, self._pos = source, start, start + length, start

    def read(self, size: int | None = -1) -> bytes:
        start = self._pos
        end = self._end if size is None or size < 0 else min(self._end, start + size)
        self._pos = max(start, end)
        return self._map[start:end]

    def readinto(self, b) -> int:
        data = self.read(len(b))
        b[:len(data)] = data
        return len(data)

    def readline(self, size: int | None = -1) -> bytes:
        start = self._pos
        newline = self._map.find(b"\n", start, self._end)
        end = self._end if newline < 0 else newline + 1
        if size is not None and size >= 0:
            end = min(end, start + size)
        self._pos = end
        return self._map[start:end]

    def __iter__(self):
        while self._pos < self._end:
            yield self.readline()

    def seek(self, offset: int, whence: int = 0) -> int:
        base = (self._start, self._pos, self._end)[whence]
        self._pos = base + offset
        return self._pos - self._start

    def tell(self) -> int:
        return self._pos - self._start

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


class MappedFile(BufferFile):
    """A ``BufferFile`` (random reads by ``get`` from the view, the rest
    through the window) that copies nothing when opened."""

    def __init__(self, source, start: int, length: int, name=None):
        self._buf = memoryview(source)[start:start + length]
        self._name = name
        self.file = _Window(source, start, length)
        self.onclose = None
        self.is_real = False
        self.is_closed = False


_whooshs_open_file = compound.CompoundStorage.open_file


def _open_file(self, name, *args, **kwargs):
    if not self._source:
        return _whooshs_open_file(self, name, *args, **kwargs)
    if self.is_closed:
        raise StorageError("Storage was closed")
    offset, length = self.range(name)
    return MappedFile(self._source, offset, length, name=name)


def install() -> None:
    compound.CompoundStorage.open_file = _open_file
