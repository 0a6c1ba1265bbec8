"""cloud/heap.py: freed heap memory goes back to the system (glibc; a no-op elsewhere)."""

from __future__ import annotations

import pytest

from atlas_tui.cloud import heap


def resident_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not heap._glibc(), reason="glibc only")
def test_trim_gives_back_the_free_pages_in_the_middle_of_the_heap() -> None:
    # 4 KB blocks come from the heap (under the mmap threshold); the last one, kept, pins the
    # top of the heap, so freeing the others alone gives nothing back (what a reload left).
    blocks = [bytearray(b"x" * 4096) for _ in range(8000)]  # ~32 MB, touched
    blocks = blocks[-1:]
    held = resident_mb()
    assert heap.trim()
    assert resident_mb() < held - 16
    assert len(blocks) == 1


@pytest.mark.skipif(not heap._glibc(), reason="glibc only")
def test_steady_keeps_large_blocks_out_of_the_heap() -> None:
    assert heap.steady()
    before = resident_mb()
    big = [bytearray(b"y" * (1 << 20)) for _ in range(8)]  # mmap'ed: 8 MB
    assert resident_mb() > before + 6
    del big  # unmapped at once, with no trim
    assert resident_mb() < before + 3
