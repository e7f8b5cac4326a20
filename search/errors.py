"""What can go wrong with an index, named once for every layer: the storage
of generations raises them, the engines raise them, the service and the
commands tell the user what each means."""
from __future__ import annotations


class IndexMissing(Exception):
    """There is no index at this location yet."""


class IndexDamaged(Exception):
    """An index is there but cannot be read. Nothing may build over it
    silently: the user's documents may be in it."""


class IndexFromAnotherVersion(IndexDamaged):
    """An index whose format this version does not read (its schema): whole,
    only older or newer. A rebuild from the documents is the cure, as for
    damage, but the user is told it is a version, not a fault."""


class EngineUnavailable(IndexDamaged):
    """The server of an index cannot answer for it (unreachable, timing out,
    red, or without the index). Not missing: nothing may build over it; and
    not the files' fault: the message says what to fix."""


class IndexIncomplete(Exception):
    """A write did not hold everything the run gave it (a writer process
    died, the disk filled): it must not go live."""


class BadRequest(ValueError):
    """A parameter outside what the contract allows (a usage error)."""
