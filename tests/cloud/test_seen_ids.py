"""SeenIds: exact, whatever the ids look like; canonical UUIDs kept as their 16 bytes."""

from __future__ import annotations

import random
import uuid

from atlas_tui.cloud.seen_ids import SeenIds


def test_ids_seen_on_an_earlier_page_or_earlier_on_the_page_are_not_new() -> None:
    ids = [str(uuid.uuid4()) for _ in range(6)]
    seen = SeenIds()
    assert seen.fresh(ids[:3]) == [True, True, True]
    # The list shifted: ids[2] again, and ids[3] twice on one page.
    assert seen.fresh([ids[2], ids[3], ids[3], ids[4]]) == [False, True, False, True]
    assert seen.fresh([]) == []
    assert len(seen) == 5


def test_canonical_ids_are_kept_as_bytes_and_other_ids_as_themselves() -> None:
    canonical = str(uuid.uuid4())
    seen = SeenIds()
    seen.fresh([canonical, "snap-7"])  # a page that is not all canonical
    assert seen.parts() == [{"snap-7"}]
    assert sum(seen.shard_sizes()) == 1 and len(seen) == 2
    # The same canonical id on an all-canonical page is the same key: not new.
    assert seen.fresh([canonical, str(uuid.uuid4())]) == [False, True]


def test_ids_that_read_alike_as_hex_are_still_different_ids() -> None:
    lower = "0a1b2c3d-0000-4000-8000-00000000abcd"
    seen = SeenIds()
    assert seen.fresh([lower]) == [True]
    others = [lower.upper(), lower.replace("-", ""), "{" + lower + "}", lower + " ",
              lower[:35] + "\n", lower[:8] + "0" + lower[9:], " " + lower[1:],
              lower[:35] + "g"]
    assert seen.fresh(others) == [True] * len(others)
    assert seen.fresh([*others, lower]) == [False] * (len(others) + 1)
    assert len(seen) == 1 + len(others)


def test_many_ids_with_shifts_and_repeats_agree_with_a_plain_set() -> None:
    """Tables that fill and double, slots taken by other ids (probing on): every answer
    is the one a set of the ids themselves gives."""
    rng = random.Random(7)
    ids = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(20_000)]
    ids += [f"{n:08x}-5a6b-4c7d-8e9f-0a1b2c3d4e5f" for n in range(3_000)]  # sequential
    seen, plain = SeenIds(), set()
    for at in range(0, len(ids), 500):
        # each page shifted back a little: the tail of the page before comes again
        page = ids[max(0, at - rng.randrange(0, 40)):at + 500]
        expect = []
        for one in page:
            expect.append(one not in plain)
            plain.add(one)
        assert seen.fresh(page) == expect
    assert len(seen) == len(plain) == len(ids)
    assert seen.fresh(rng.sample(ids, 1000)) == [False] * 1000
    # ~16 bytes an id and tables at most two thirds full of 4-byte slots, doubled as they fill
    assert seen.nbytes() <= len(ids) * (16 + 4 * 3.5)


def test_tables_sized_from_the_lists_count_do_not_grow_and_a_huge_count_is_capped() -> None:
    ids = [str(uuid.uuid4()) for _ in range(5_000)]
    seen = SeenIds()
    seen.expect(len(ids))
    tables = list(seen._tables)
    assert all(seen.fresh(ids))
    assert [t is u for t, u in zip(seen._tables, tables, strict=True)] == [True] * seen.SHARDS
    # 16 bytes an id, and at most 1.5 slots (of 4 bytes) an id, plus room for the unevenness
    assert seen.nbytes() <= len(ids) * (16 + 4 * 3)

    lied = SeenIds()
    lied.expect(10**12)  # the server's word: sized for MOST_EXPECTED ids at most
    assert lied.nbytes() <= 4 * 4 * 1.2 * SeenIds.MOST_EXPECTED
    assert lied.fresh(ids[:3]) == [True] * 3 and lied.fresh(ids[:1]) == [False]
