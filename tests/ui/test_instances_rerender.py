"""`t` on the instances screen rebuilds its rows in a worker, a slice at a time: the newest
snapshot column turns to exact times and back, the summary line stays."""

from __future__ import annotations

from textual.widgets import Static

from atlas_tui.app import AtlasApp
from atlas_tui.settings import Settings
from atlas_tui.sim import SimServer
from atlas_tui.ui.format import age
from atlas_tui.ui.screens.instances import InstancesScreen
from atlas_tui.ui.widgets.table import FastTable
from tests.conftest import profile_for
from tests.ui.helpers import cells, loaded, session_of, until


async def test_t_shows_exact_times_of_the_newest_snapshots_and_back(sim: SimServer) -> None:
    app = AtlasApp(profile=profile_for(sim), settings=Settings())
    async with app.run_test(size=(160, 40)) as pilot:
        screen = await loaded(pilot, InstancesScreen)
        table = screen.query_one("#instances", FastTable)
        summary = str(screen.query_one("#summary", Static).render())
        inventory = session_of(app).inventory
        rows = {r.vm.id: r for r in inventory.instance_rows()}
        keys = [table.model.row_at(i).key for i in range(table.visible_count)]
        newest = [rows[k].newest_snapshot for k in keys]
        assert any(n is not None for n in newest)  # the demo has snapshots
        relative = cells(table, "newest")
        now = session_of(app).client.server_now()
        exact = [age(n, now, exact=True) for n in newest]

        await pilot.press("t")
        await until(pilot, lambda: [c.split(" ⟳")[0].replace("⚠ stuck ", "")
                                    for c in cells(table, "newest")] == exact,
                    what="exact times")
        assert str(screen.query_one("#summary", Static).render()) == summary
        shown = {e for e in exact if e != "—"}
        await pilot.press("t")
        await until(pilot, lambda: not shown & set(cells(table, "newest")), what="ages again")
        assert len(cells(table, "newest")) == len(relative)
