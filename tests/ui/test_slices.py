"""ui/slices.py and the table's precomputed search texts: the same results as in one piece."""

from __future__ import annotations

import asyncio

import pytest

from atlas_tui.ui import slices
from atlas_tui.ui.widgets.table_model import Column, Row, TableModel


async def test_sliced_gives_the_list_comprehension_and_yields_between_slices(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(slices, "SLICE_S", 0.0)  # every item its own slice
    loop = asyncio.get_running_loop()
    passes: list[int] = []
    count = 0

    def tick() -> None:  # counts loop passes while the slices run
        nonlocal count
        count += 1
        handle[0] = loop.call_soon(tick)

    handle = [loop.call_soon(tick)]

    def make(i: int) -> int:
        passes.append(count)
        return i * i

    out = await slices.sliced(make, list(range(5)))
    handle[0].cancel()
    assert out == [0, 1, 4, 9, 16]
    assert len(set(passes)) == 5  # each item in a pass of its own


async def test_release_empties_the_list() -> None:
    items = [object() for _ in range(1000)]
    await slices.release(items)
    assert items == []


def test_set_rows_with_search_texts_filters_as_without() -> None:
    columns = [Column("name", "NAME"), Column("state", "STATE")]
    rows = [Row(f"k{i}", (f"vm-{i:03}", "Running" if i % 2 else "Stopped")) for i in range(50)]
    built = TableModel(columns=columns)
    built.set_rows(rows)
    given = TableModel(columns=columns)
    given.set_rows(rows, [TableModel.search_text(r) for r in rows])
    for query in ("vm-01", "stopped", "~^vm-0[0-4]", "!running"):
        built.filter(query)
        given.filter(query)
        assert given.view == built.view and given.view, query
    with pytest.raises(ValueError):
        given.set_rows(rows, ["too few"])
