"""Freed memory handed back to the system (glibc only; elsewhere this does nothing).

A load or a reload holds large transient tables for a while (the ids seen by the snapshot
walk, a second copy of the stats, the rows being rebuilt), then frees them. glibc keeps what
is freed: a block of its heap goes back to the system only from the top of the heap, and a
large table freed raises its mmap threshold, so the next large table comes from the heap
too and stays. Each auto refresh then raised the resident set a little more (measured at
scale:10000: +30 MB a reload, never given back). `steady()` keeps large blocks mmap'ed (freed
at once), `trim()` returns the heap's free pages after a reload.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from typing import Any

_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 128 * 1024  # glibc's default, fixed: it no longer grows past freed blocks

_libc: Any = None


def _glibc() -> Any:
    global _libc
    if _libc is None:
        _libc = False
        if sys.platform.startswith("linux"):
            try:
                libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
                libc.malloc_trim  # noqa: B018 (musl has none: then nothing is done)
                libc.mallopt  # noqa: B018
            except (OSError, AttributeError):
                pass
            else:
                _libc = libc
    return _libc


def steady() -> bool:
    """Blocks of MMAP_THRESHOLD and more mmap'ed, whatever was freed before. True if set."""
    libc = _glibc()
    return bool(libc) and bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))


def trim() -> bool:
    """Return the heap's free pages to the system; True if some were."""
    libc = _glibc()
    return bool(libc) and bool(libc.malloc_trim(0))
