"""Safety nets so no QEMU outlives us: a registry of live process groups.

Every VM process runs in its own process group and is killed on every normal
path by its owner. What is left when the interpreter exits (atexit, SIGTERM) is
killed here; if we die by SIGKILL, the kernel kills the child (PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import signal

_PR_SET_PDEATHSIG = 1
_live: set[int] = set()


def die_with_parent() -> None:
    """preexec_fn for children: SIGKILL them when the parent thread dies."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def track(pgid: int) -> None:
    _live.add(pgid)


def kill(pgid: int) -> None:
    """SIGKILL the whole process group (no error if it is already gone)."""
    _live.discard(pgid)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def live() -> set[int]:
    """Process groups started by this process and not yet killed."""
    return set(_live)


def kill_all() -> None:
    for pgid in list(_live):
        kill(pgid)


def _on_sigterm(signum: int, frame: object) -> None:
    kill_all()
    raise SystemExit(128 + signum)


atexit.register(kill_all)
if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
    # not the main thread (ValueError): atexit and PDEATHSIG still hold
    with contextlib.suppress(ValueError):
        signal.signal(signal.SIGTERM, _on_sigterm)
