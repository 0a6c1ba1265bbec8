"""SeenIds: exact, whatever the ids look like; canonical UUIDs kept as their numbers."""

from __future__ import annotations

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


def test_canonical_ids_are_kept_as_numbers_and_other_ids_as_themselves() -> None:
    canonical = str(uuid.uuid4())
    seen = SeenIds()
    seen.fresh([canonical, "snap-7"])  # a page that is not all canonical
    assert set().union(*seen.parts()) == {uuid.UUID(canonical).int, "snap-7"}
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
