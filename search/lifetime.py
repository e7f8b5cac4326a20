"""Child processes of ours (analysis workers, Whoosh's writer processes) end
with the process that started them, and say how they died."""
from __future__ import annotations

import os
import signal


def die_with_parent() -> None:
    """Ask Linux to kill this process when its parent dies. A worker waits on
    a queue only its parent feeds; after a kill -9 of the indexer it would
    otherwise wait there forever."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() == 1:  # the parent died before the request took effect
            os._exit(1)
    except (OSError, AttributeError):
        pass  # not Linux: an orphan then ends when its queue breaks, or never


def how_it_ended(exitcode: int | None) -> str:
    """``killed by signal 9`` or ``exit code 1``, from a process's exit code."""
    if exitcode is not None and exitcode < 0:
        return f"killed by signal {-exitcode}"
    return f"exit code {exitcode}"
