"""Rows made when read (`LazyRows`): the protection list keeps its volumes' verdicts, not a
`Row` and two tuples per volume. Sorting, cursor, marks and filter still work on every row,
and a sort or a key lookup makes no row at all. And the list walks every snapshot again on
its return only if something may have changed meanwhile."""

from __future__ import annotations

import gc
from collections.abc import Awaitable, Callable

from atlas_tui.app import AtlasApp, Launch
from atlas_tui.cloud.protection import Status
from atlas_tui.settings import Settings
from atlas_tui.sim import SimServer
from atlas_tui.ui.screens.instances import InstancesScreen
from atlas_tui.ui.screens.jobs import JobsScreen
from atlas_tui.ui.screens.protection import ProtectionScreen
from atlas_tui.ui.widgets.table import FastTable
from atlas_tui.ui.widgets.table_model import (
    WIDTH_SAMPLE,
    Column,
    LazyRows,
    Row,
    TableModel,
)
from tests.conftest import profile_for, running_sim
from tests.ui.helpers import loaded, press_and_reload, session_of, until

ITEMS = [("k0", "web-1", 30), ("k1", "db-1", 10), ("k2", "web-2", 20), ("k3", "cache", 40)]
COLUMNS = [Column("name", "NAME"), Column("size", "SIZE")]


class Made:
    """A row maker that counts the rows it made."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, item: tuple[str, str, int]) -> Row:
        self.count += 1
        return Row(item[0], (item[1], f"{item[2]} GiB"), values(item))


def values(item: tuple[str, str, int]) -> tuple[str, int]:
    return (item[1], item[2])


def lazy_model() -> tuple[TableModel, Made]:
    made = Made()
    model = TableModel(COLUMNS)
    model.set_rows(LazyRows(ITEMS, made, key=lambda item: item[0], values=values))
    return model, made


def shown(model: TableModel) -> list[str]:
    return [model.row_at(p).key for p in range(model.visible_count)]


def test_sort_cursor_and_marks_make_no_row() -> None:
    model, made = lazy_model()
    model.sort_by("size")
    assert model.cursor_key == "k0"  # the cursor stays on its row
    model.move_cursor(0)
    assert model.cursor_key == "k1"
    model.move_cursor(2)
    assert model.toggle_mark() is True
    assert model.marked == {"k0"} and model.position_of("k0") == 2
    assert made.count == 0  # keys and sort values only
    assert shown(model) == ["k1", "k2", "k0", "k3"]
    assert made.count == 4  # each row read, made once per read


async def test_prepared_rows_are_set_without_making_a_row() -> None:
    # The widest name is past the first WIDTH_SAMPLE rows and on a sampled one.
    count = 4 * WIDTH_SAMPLE
    items = [(f"k{i}", "vm-" + "x" * (30 if i == count - 4 else i % 7), i)
             for i in range(count)]
    made = Made()
    table = FastTable(COLUMNS)
    table.model.sort_by("size")
    prepared = await table.prepare(LazyRows(items, made, key=lambda item: item[0],
                                            values=values))
    assert made.count == WIDTH_SAMPLE  # the width sample, made ahead
    assert prepared.search is None  # no filter set: no texts
    made.count = 0
    table.model.set_rows(prepared)
    assert table.model.natural_widths() == [33, len(f"{count - 1} GiB")]
    assert table.model.get_row("k7") is not None and table.model.position_of("k7") == 7
    assert made.count == 1  # the row read by get_row above; none to set them


async def test_prepared_rows_bring_their_search_texts_and_no_stale_widths() -> None:
    made = Made()
    table = FastTable(COLUMNS)
    table.model.filter("web")
    prepared = await table.prepare(LazyRows(ITEMS, made, key=lambda item: item[0],
                                            values=values))
    assert prepared.search == [TableModel.search_text(made(item)) for item in ITEMS]
    # Columns changed between the two: the widths measured are not theirs.
    table.model.set_columns([Column("name", "A MUCH WIDER LABEL"), Column("size", "SIZE")])
    table.model.set_rows(prepared)
    assert [table.model.row_at(p).key for p in range(table.model.visible_count)] == ["k0", "k2"]
    assert table.model.natural_widths()[0] == len("A MUCH WIDER LABEL")


def test_a_filter_and_a_changed_row_read_the_made_rows() -> None:
    model, made = lazy_model()
    model.filter("web")
    assert shown(model) == ["k0", "k2"]
    model.filter("")
    # A row changed in place is kept as given, and sorts by its new values.
    assert model.update_row("k3", ("cache", "1 GiB"), ("cache", 1))
    model.sort_by("size")
    assert shown(model)[0] == "k3" and model.row_at(0).cells == ("cache", "1 GiB")
    model.filter("1 gib")
    assert shown(model) == ["k3"]
    assert made.count > 0


async def test_the_protection_list_holds_no_row_per_volume() -> None:
    # scale:40 is 120 volumes, far more than the 30 lines of the screen.
    async with running_sim(seed="scale:40", speed=0) as sim:
        app = AtlasApp(Launch(), profile=profile_for(sim), settings=Settings())
        async with app.run_test(size=(120, 30)) as pilot:
            await loaded(pilot, InstancesScreen)
            app.push_screen(ProtectionScreen())
            screen = await loaded(pilot, ProtectionScreen)
            await press_and_reload(pilot, screen, "r")
            table = screen.query_one(FastTable)
            volumes = set(sim.state.volumes)
            assert table.row_count >= len(volumes) >= 100
            gc.unfreeze()  # the running app froze what a load left (cloud/long_lived.py)
            gc.collect()
            alive = [o for o in gc.get_objects() if type(o) is Row and o.key in volumes]
            assert len(alive) < 40  # the lines on screen at most, not one per volume
            # Every volume is still a row of the list, by its id.
            assert {table.model.row_at(p).key for p in range(table.visible_count)} == volumes


async def test_the_protection_list_reloads_on_return_only_if_something_changed(
        sim: SimServer) -> None:
    # Back from the jobs list with nothing done: no second walk of every snapshot. Back after
    # a policy was created meanwhile: reloaded at once, the new policy shown.
    app = AtlasApp(Launch(), profile=profile_for(sim), settings=Settings())
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(pilot, InstancesScreen)
        app.push_screen(ProtectionScreen())
        protection = await loaded(pilot, ProtectionScreen)
        # A reload of the account lists its instances (the jobs list reads no such list).
        walks, shown_at = sim.state.calls["listVirtualMachines"], protection.updated

        async def away_and_back(while_away: Callable[[], Awaitable[object]] | None) -> None:
            app.push_screen(JobsScreen())
            await loaded(pilot, JobsScreen)
            if while_away is not None:
                await while_away()
            await pilot.press("escape")
            await until(pilot, lambda: app.screen is protection)
            await pilot.pause(0.3)

        await away_and_back(None)
        assert sim.state.calls["listVirtualMachines"] == walks and protection.updated == shown_at

        unprotected = next(r for r in protection.rows if r.status is Status.UNPROTECTED)
        await away_and_back(lambda: session_of(app).client.create_snapshot_policy(
            unprotected.key, interval="DAILY", schedule="00:03", timezone="UTC", maxsnaps=2))
        await until(pilot, lambda: protection.updated != shown_at, what="a reload")
        assert sim.state.calls["listVirtualMachines"] == walks + 1
        row = next(r for r in protection.rows if r.key == unprotected.key)
        assert [h.policy.interval for h in row.policies] == ["DAILY"]
