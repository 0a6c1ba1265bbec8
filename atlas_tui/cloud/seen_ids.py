"""The ids seen by a walk of a list that may shift while it is paged, in little memory.

The account-wide snapshot walk must not count a snapshot twice when the list shifts between
two pages, so it keeps every id it has seen: 300,000 at the scale:10000 seed, alive until
the walk ends (a load's peak, and every reload's). As Python objects in a set that is
~33 MB (the 36-character strings) or ~22 MB (each canonical UUID as its 128-bit number).

A canonical UUID (lower-case hex, 8-4-4-4-12: what CloudStack gives) is kept here as its 16
bytes, end to end in one `bytearray`, and found again through open-addressing tables of
positions (`array`, 4 bytes a slot, at most two thirds full): ~16 + 6-8 bytes an id,
~7 MB at 300,000 (tables sized from the list's count, `expect`). Exact: a slot only points
at an id, and an id is new unless those 16 bytes are equal; a canonical id and its bytes
go both ways. Any other id is kept as the string itself, in a set. Never a hash alone: two
ids sharing one would drop a snapshot (identity is the id).

Each page is checked and converted at once (str and bytes methods); what is left per id is
a probe or two of its shard's table.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence

_RECORD = 37  # a canonical id and the "\n" after it, in a page's joined ids
_DASHES = (8, 13, 18, 23)
_SIZE = 16  # bytes of a canonical id


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
    return raw if len(raw) == _SIZE * n else None


def _canonical(one: str) -> bytes | None:
    return _canonical_page([one])


class SeenIds:
    """Which ids of each page are new (not seen on this page before nor on an earlier one).

    The canonical ids' positions are spread over `SHARDS` tables by hash: a table doubles as
    it fills, re-inserting its ids in Python (~1 µs each); one table for all would do that
    for 300,000 ids in one piece (~0.3 s, the event loop stalled), a shard for a `SHARDS`th
    of them. The shards start at staggered sizes, so that they do not all double on the
    same page either (they fill evenly). A prime count, so that hashes differing in a few
    low bits still spread."""

    SHARDS = 61
    FIRST_SLOTS = 64
    # `expect` sizes the tables for at most this many ids: the count is the server's word.
    MOST_EXPECTED = 1_000_000

    def __init__(self) -> None:
        self._ids = bytearray()  # the canonical ids, 16 bytes each, in the order first seen
        self._counts = [0] * self.SHARDS
        self._others: set[str] = set()  # ids that are not canonical UUIDs, as themselves
        self._tables: list[array[int]] = []
        self._size_tables(self.FIRST_SLOTS)

    def _size_tables(self, slots: int, *, stagger: bool = True) -> None:
        """Empty tables of `slots` slots each, or with `stagger` `slots` to 2 x `slots`:
        shard i gets slots x (1 + i/SHARDS), so that shards filled evenly reach their
        doubling one after another (tables that must grow as they fill)."""
        # Per shard, slot -> 1 + the id's index in `_ids` (0: empty).
        self._tables = [array("I", bytes(4 * (slots + (slots * i // self.SHARDS if stagger
                                                       else 0))))
                        for i in range(self.SHARDS)]

    def expect(self, count: int) -> None:
        """Size the tables for `count` ids before the first page (the list's own count):
        tables that grow as they fill re-insert ~1 id per id added (~1 s of CPU at
        300,000). Only while nothing is kept yet; a list that grows past it still grows
        the tables."""
        if len(self._ids) == 0 and count > 0:
            per_shard = min(count, self.MOST_EXPECTED) // self.SHARDS
            # A shard's share, plus room for the unevenness of a hash (~1.5 % at 4,900, ~11 %
            # at 80), two thirds full: no shard should have to grow, so none is staggered.
            room = per_shard + per_shard // 8 + 32
            self._size_tables(max(self.FIRST_SLOTS, 3 * room // 2), stagger=False)

    def __len__(self) -> int:
        return len(self._ids) // _SIZE + len(self._others)

    def parts(self) -> list[set[str]]:
        """The sets of objects it keeps, for the caller to empty a piece at a time (the
        canonical ids are a few large buffers, freed at once)."""
        return [self._others]

    def shard_sizes(self) -> list[int]:
        """How many canonical ids each table holds."""
        return list(self._counts)

    def nbytes(self) -> int:
        """The bytes its buffers take (not the set of other ids)."""
        return len(self._ids) + sum(t.itemsize * len(t) for t in self._tables)

    def fresh(self, ids: Sequence[str]) -> list[bool]:
        """For each id of a page, in order: is it new? Marks them all seen."""
        raw = _canonical_page(ids)
        if raw is not None:
            return self._fresh_canonical([raw[at:at + _SIZE]
                                          for at in range(0, len(raw), _SIZE)])
        out = []
        for one in ids:  # one id is not canonical: each on its own, so an id keeps one key
            key = _canonical(one)
            if key is not None:
                out += self._fresh_canonical([key])
            elif one in self._others:
                out.append(False)
            else:
                self._others.add(one)
                out.append(True)
        return out

    def _fresh_canonical(self, keys: list[bytes]) -> list[bool]:
        # One loop, names local: ~1 µs an id (a page of 500: 0.5 ms).
        tables, counts, stored, shards = self._tables, self._counts, self._ids, self.SHARDS
        is_at = stored.startswith  # compares in place: no slice copied
        out = []
        for key in keys:
            h = hash(key)
            shard = h % shards
            table = tables[shard]
            size = len(table)
            slot = (h // shards) % size
            while True:
                at = table[slot]
                if not at:
                    stored += key
                    table[slot] = len(stored) // _SIZE
                    counts[shard] += 1
                    if 3 * counts[shard] > 2 * size:  # at most two thirds full
                        self._grow(shard)
                    out.append(True)
                    break
                if is_at(key, (at - 1) * _SIZE):
                    out.append(False)  # seen before, or earlier on this page
                    break
                slot += 1
                if slot == size:
                    slot = 0
        return out

    def _grow(self, shard: int) -> None:
        """Double a shard's table, its ids re-inserted."""
        old = self._tables[shard]
        size = 2 * len(old)
        table = array("I", bytes(old.itemsize * size))
        shards, stored = self.SHARDS, self._ids
        for at in old:
            if at:
                start = (at - 1) * _SIZE
                slot = (hash(bytes(stored[start:start + _SIZE])) // shards) % size
                while table[slot]:
                    slot += 1
                    if slot == size:
                        slot = 0
                table[slot] = at
        self._tables[shard] = table
