"""What a reload leaves behind: nothing. The running app freezes what is alive after each page
of a load (cloud/long_lived.py), so a screen that is popped, or anything else that was alive
then, is never collected: whatever still references an old inventory keeps it for good."""

from __future__ import annotations

import gc
import weakref

from rich.text import Text

from atlas_tui.app import AtlasApp, Launch
from atlas_tui.cloud.inventory import Inventory
from atlas_tui.settings import Settings
from atlas_tui.sim import SimServer
from atlas_tui.ui.screens.instances import InstancesScreen
from atlas_tui.ui.screens.protection import ProtectionScreen
from atlas_tui.ui.widgets.table import FastTable
from atlas_tui.ui.widgets.table_model import Row
from tests.conftest import profile_for
from tests.ui.helpers import loaded, press_and_reload, session_of, until


async def test_reloads_and_a_popped_screen_free_the_old_inventories(sim: SimServer) -> None:
    app = AtlasApp(Launch(), profile=profile_for(sim), settings=Settings())
    async with app.run_test(size=(80, 24)) as pilot:
        home = await loaded(pilot, InstancesScreen)
        await until(pilot, lambda: session_of(app).inventory.complete)
        old: list[weakref.ref[Inventory]] = [weakref.ref(session_of(app).inventory)]

        await press_and_reload(pilot, home, "r")
        assert session_of(app).inventory is not old[0]()
        # The rows on screen came from the old inventory; the screen did not keep it.
        assert old[0]() is None

        await pilot.press("P")
        protection = await loaded(pilot, ProtectionScreen)
        await press_and_reload(pilot, protection, "r")
        old.append(weakref.ref(session_of(app).inventory))
        popped = weakref.ref(protection)
        table = protection.query_one(FastTable)
        shown = table.model.rows  # the list of the rows it showed
        assert len(shown) >= len(sim.state.volumes) > 0
        del protection
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, InstancesScreen))
        await press_and_reload(pilot, home, "r")
        assert sim.state.calls["listSnapshots"] == 4  # every reload walked the account
        # The popped protection screen may live on (frozen), but not what it showed.
        assert old[1]() is None
        screen = popped()
        if screen is not None:
            assert screen.inventory is None and screen.rows == []
        assert all(ref() is None for ref in old)
        # Its table too: unmounted before the screen, it dropped its rows.
        assert table.model.row_count == 0 and not table.model._search
        assert len(shown) > 0 and not any(row is table.model.get_row(row.key) for row in shown)


async def test_the_instances_list_holds_no_row_per_instance_and_a_reload_shows_a_change(
        sim: SimServer) -> None:
    # The rows are made when read (table_model.LazyRows): a reload after minutes away, when
    # every age reads differently, held two sets of 10,000 rows at its peak.
    app = AtlasApp(Launch(), profile=profile_for(sim), settings=Settings())
    async with app.run_test(size=(120, 30)) as pilot:
        home = await loaded(pilot, InstancesScreen)
        await until(pilot, lambda: session_of(app).inventory.complete)
        table = home.query_one("#instances", FastTable)
        stopped = next(vm for vm in sim.state.vms.values() if vm.state == "Running")
        stopped.state = "Stopped"  # on the server, behind the app's back
        await press_and_reload(pilot, home, "r")
        assert {row.key for row in table.model.rows} == set(sim.state.vms)
        state = table.model.column_index("state")
        row = table.model.get_row(stopped.id)
        assert row is not None
        cell = row.cells[state]
        assert (cell.plain if isinstance(cell, Text) else cell) == "Stopped"
        del row, cell  # made for this test: the table itself holds none
        gc.unfreeze()  # the running app froze what a load left (cloud/long_lived.py)
        gc.collect()
        vm_ids = set(sim.state.vms)
        assert not [o for o in gc.get_objects() if type(o) is Row and o.key in vm_ids]
