"""The ids seen by a walk of a list that may shift while it is paged, in less memory.

The account-wide snapshot walk must not count a snapshot twice when the list shifts between
two pages, so it keeps every id it has seen: 300,000 at the largest seed, each a 36-character
string of ~88 bytes, ~33 MB with the set, alive until the walk ends (a load's peak, and every
reload's). A canonical UUID (lower-case hex, 8-4-4-4-12: what CloudStack gives) is kept as
its 128-bit number instead (a 48-byte object): ~22 MB. Exact: a canonical id and its number
go both ways, and any other id is kept as the string itself (int and str never compare
equal).
Never a hash: two ids sharing one would drop a snapshot (identity is the id).

Each page is checked and converted at once (str and bytes methods); what is left per id is
its slice, its number and its shard (`SeenIds`).
"""

from __future__ import annotations

from collections.abc import Sequence

_RECORD = 37  # a canonical id and the "\n" after it, in a page's joined ids
_DASHES = (8, 13, 18, 23)


def _canonical_page(ids: Sequence[str]) -> bytes | None:
    """The 16 bytes of each id, end to end, if every id of the page is a canonical UUID."""
    n = len(ids)
    joined = "\n".join(ids) + "\n"
    # Each id exactly 36 characters with dashes where a UUID has them (an id holding a "\n"
    # puts one out of place, or is left with one that fromhex skips: short, below).
    if len(joined) != _RECORD * n or joined[36::_RECORD] != "\n" * n:
        return None
    if any(joined[at::_RECORD] != "-" * n for at in _DASHES):
        return None
    hexes = "".join(ids).replace("-", "")  # 32 a id unless one has a dash elsewhere
    if len(hexes) != 32 * n or hexes != hexes.lower():
        return None
    try:
        raw = bytes.fromhex(hexes)  # ASCII hex only; it skips whitespace: short then
    except ValueError:
        return None
    return raw if len(raw) == 16 * n else None


def _canonical(one: str) -> bytes | None:
    return _canonical_page([one])


class SeenIds:
    """Which ids of each page are new (not seen on this page before nor on an earlier one).

    Kept in `SHARDS` sets by hash: one set doubles its table as it grows, re-inserting every
    key in one piece (~40 ms at 314,000 snapshot ids, ~100 ms at 629,000: the event loop
    stalled that long); a shard's growth costs a `SHARDS`th of that, for the same memory.
    A prime count: a UUID's number hashes to itself modulo 2**61 - 1, so ids that differ in
    a few bits only (sequential ones) would all share a shard modulo a power of two."""

    SHARDS = 61

    def __init__(self) -> None:
        self._shards: list[set[int | str]] = [set() for _ in range(self.SHARDS)]

    def __len__(self) -> int:
        return sum(len(shard) for shard in self._shards)

    def parts(self) -> list[set[int | str]]:
        """The sets it keeps, for the caller to empty a piece at a time."""
        return self._shards

    def fresh(self, ids: Sequence[str]) -> list[bool]:
        """For each id of a page, in order: is it new? Marks them all seen."""
        raw = _canonical_page(ids)
        keys: list[int | str]
        number = int.from_bytes
        if raw is not None:
            keys = [number(raw[at:at + 16]) for at in range(0, len(raw), 16)]
        else:  # one id is not canonical: each id on its own, so an id keeps one key
            keys = [one if (r := _canonical(one)) is None else number(r) for one in ids]
        shards, count = self._shards, self.SHARDS
        out = []
        for key in keys:
            shard = shards[hash(key) % count]
            if key in shard:
                out.append(False)  # seen before, or earlier on this page
            else:
                shard.add(key)
                out.append(True)
        return out
