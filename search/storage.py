"""An index folder on disk, whatever engine fills it.

Layout: ``<index>/CURRENT`` names the live generation folder (``gen-000003``);
``PREVIOUS`` the one it replaced, kept until the next switch so a reader that
opened it a moment ago can finish; ``.indexer.lock`` lets one indexer write.
A rebuild fills a new generation and switches ``CURRENT`` with an atomic
rename only when it is complete, so a reader sees the old index or the whole
new one, never a part.

Three states matter to a user, and they are kept apart on purpose: *missing*
(no folder, or an empty one: a first run may build it), *live*, and
*damaged* (something is there but ``CURRENT`` does not lead to it). A reading
command must never take damaged for missing: building over it would replace
a user's index with whatever corpus it found.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
from pathlib import Path

from filelock import FileLock, Timeout

from .errors import IndexDamaged, IndexMissing

CURRENT = "CURRENT"
PREVIOUS = "PREVIOUS"
LOCK_NAME = ".indexer.lock"
REVISION = "REVISION"  # rewritten after every commit, a new generation's or the live one's
_GEN = re.compile(r"^gen-(\d{6})$")


GEN_META = "reform-search.json"  # in each generation: which engine wrote it, in which schema


class IndexBusy(Exception):
    """Another indexer holds the index."""


def write_meta(gen: Path, engine: str, schema: int, **recorded) -> None:
    """What wrote ``gen`` and, for a server engine, where its index is."""
    (gen / GEN_META).write_text(json.dumps({"engine": engine, "schema": schema, **recorded}), encoding="utf-8")


def _meta(gen: Path) -> dict | None:
    """What the engine recorded in ``gen`` (``write_meta``); None if nothing readable."""
    try:
        meta = json.loads((gen / GEN_META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) else None


def generation_schema(gen: Path) -> int | None:
    """The schema version the engine recorded in ``gen``; None if unrecorded."""
    schema = (_meta(gen) or {}).get("schema")
    return schema if isinstance(schema, int) else None


def generation_engine(gen: Path) -> str | None:
    """The engine that wrote ``gen``; None if unrecorded (``search.engines``
    knows whose such a generation is)."""
    engine = (_meta(gen) or {}).get("engine")
    return engine if isinstance(engine, str) else None


def generations(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and _GEN.match(p.name))


def is_missing(root: Path) -> bool:
    """No index has ever been written here: no folder, or one with nothing of
    an index in it (a lock file left by a run that built nothing is nothing)."""
    root = Path(root)
    if not root.is_dir():
        return True
    return not any(p.name != LOCK_NAME for p in root.iterdir())


def _read_pointer(root: Path, name: str) -> str | None:
    try:
        value = (root / name).read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return None
    return value if _GEN.match(value) else None


def live_generation(root: Path) -> Path:
    """The folder readers should open; ``IndexMissing`` or ``IndexDamaged``
    with a reason a user can act on."""
    root = Path(root)
    if is_missing(root):
        raise IndexMissing(f"no index in {root}")
    pointer = root / CURRENT
    if not pointer.exists():
        raise IndexDamaged(f"{pointer} is missing")
    name = _read_pointer(root, CURRENT)
    if name is None:
        raise IndexDamaged(f"{pointer} does not name a generation")
    gen = root / name
    if not gen.is_dir():
        raise IndexDamaged(f"{pointer} names {name}, which is not there")
    return gen


def pointer_stamp(root: Path):
    """What changes whenever ``CURRENT`` is switched (a rename gives a new
    inode): a reader that holds the same stamp may keep its open generation
    without reading the pointer again. None when there is no pointer."""
    try:
        st = (Path(root) / CURRENT).stat()
        return (st.st_mtime_ns, st.st_ino, st.st_size)
    except OSError:
        return None


def note_revision(root: Path) -> None:
    """After a commit: what a reader's caches of the whole index (the
    documents table) are keyed by, beside the pointer — an incremental run
    changes the live generation without switching it."""
    import time

    try:
        _write_pointer(Path(root), REVISION, str(time.time_ns()))
    except OSError:  # a full disk: the commit stands; no revision changes the stamp too
        with contextlib.suppress(OSError):
            (Path(root) / REVISION).unlink()


def revision_stamp(root: Path):
    """``pointer_stamp`` and the last commit's revision: changes whenever the
    index's contents may have."""
    try:
        st = (Path(root) / REVISION).stat()
        revision = (st.st_mtime_ns, st.st_ino, st.st_size)
    except OSError:
        revision = None
    return pointer_stamp(root), revision


def new_generation(root: Path) -> Path:
    numbers = [int(_GEN.match(g.name).group(1)) for g in generations(root)]
    gen = root / f"gen-{(max(numbers) + 1 if numbers else 1):06d}"
    gen.mkdir(parents=True)
    return gen


def _write_pointer(root: Path, name: str, value: str) -> None:
    tmp = root / (name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(value + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, root / name)


def switch(root: Path, gen: Path) -> None:
    """Make ``gen`` live (atomic for readers); the one it replaces becomes PREVIOUS."""
    previous = _read_pointer(root, CURRENT)
    if previous and previous != gen.name and (root / previous).is_dir():
        _write_pointer(root, PREVIOUS, previous)
    _write_pointer(root, CURRENT, gen.name)
    dir_fd = os.open(root, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # the rename itself reaches the disk
    finally:
        os.close(dir_fd)


def clean(root: Path) -> list[str]:
    """Remove what no reader can be using: generations that are neither live
    nor previous (abandoned by a killed or failed run, or two switches old)
    and half-written pointer files. Call it only while holding the lock. A
    damaged index keeps its generations: they may be all the user has, until
    a rebuild succeeds."""
    root = Path(root)
    removed = []
    for tmp in (root / (CURRENT + ".tmp"), root / (PREVIOUS + ".tmp")):
        if tmp.exists():
            tmp.unlink()
            removed.append(tmp.name)
    live = _read_pointer(root, CURRENT)
    if live is None or not (root / live).is_dir():
        return removed
    keep = {live, _read_pointer(root, PREVIOUS)}
    for gen in generations(root):
        if gen.name not in keep:
            shutil.rmtree(gen, ignore_errors=True)
            removed.append(gen.name)
    return removed


def discard(gen: Path) -> None:
    shutil.rmtree(gen, ignore_errors=True)


@contextlib.contextmanager
def writing(root: Path, timeout: float = 0.0):
    """Hold the index's writer lock (``IndexBusy`` if another indexer has it)."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(root / LOCK_NAME))
    try:
        lock.acquire(timeout=timeout)
    except Timeout:
        raise IndexBusy(f"another indexer is writing {root}; try again when it has finished") from None
    try:
        yield
    finally:
        lock.release()
