"""The screens from a regular account's view: no server clock without a Date header, and a
snapshot size the server does not give is shown as unknown, never as 0."""

from __future__ import annotations

from typing import Any

import pytest

from atlas_tui.app import AtlasApp, Launch
from atlas_tui.settings import Settings
from atlas_tui.sim import SimServer
from atlas_tui.ui.screens.instances import InstancesScreen
from atlas_tui.ui.screens.protection import ProtectionScreen
from atlas_tui.ui.widgets.table import FastTable
from tests.conftest import profile_for, running_sim
from tests.ui.helpers import cells, loaded, screen_text, until


def app_for(sim: SimServer) -> AtlasApp:
    return AtlasApp(Launch(), profile=profile_for(sim), settings=Settings())


@pytest.mark.parametrize("date_header", [False, True], ids=["cloudstack", "behind-a-proxy"])
async def test_the_header_says_when_the_clock_is_local(date_header: bool) -> None:
    async with running_sim(speed=0, start=None, date_header=date_header) as sim:
        app = app_for(sim)
        async with app.run_test(size=(80, 24)) as pilot:
            await loaded(pilot, InstancesScreen)
            header = screen_text(app).splitlines()[0]
            assert "CloudStack 4.22.0.0" in header
            assert ("local clock" in header) is not date_header


async def test_snapshots_without_a_size_are_unknown_not_zero(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """As answers recorded from real clouds showed: some snapshots come with no size at all.
    db-01's snapshots here have none: its total is unknown ("—"), and the account's totals
    say how many are missing instead of counting them as 0."""
    from atlas_tui.sim.commands import snapshots as sim_snapshots

    original = sim_snapshots.render_snapshot

    def without_sizes(state: Any, snap: Any) -> dict[str, Any]:
        out = original(state, snap)
        if snap.volume.vm is not None and snap.volume.vm.name == "db-01":
            for key in ("physicalsize", "virtualsize", "size"):
                out.pop(key, None)
        return out

    monkeypatch.setattr(sim_snapshots, "render_snapshot", without_sizes)
    async with running_sim(speed=0) as sim:
        unsized = sum(1 for s in sim.state.snapshots.values()
                      if s.volume.vm is not None and s.volume.vm.name == "db-01")
        assert unsized
        app = app_for(sim)
        async with app.run_test(size=(160, 30)) as pilot:
            screen = await loaded(pilot, InstancesScreen)
            table = screen.query_one(FastTable)
            await until(pilot, lambda: "…" not in cells(table, "storage"))
            by_vm = dict(zip(cells(table, "name"), cells(table, "storage"), strict=True))
            assert by_vm["db-01"] == "—"
            assert by_vm["hello-atlas"].endswith("GiB") and by_vm["hello-atlas"][0].isdigit()
            await pilot.press("P")
            await loaded(pilot, ProtectionScreen)
            await until(pilot, lambda: "snapshots use" in screen_text(app))
            text = " ".join(screen_text(app).split())
            assert "snapshots use ≥ " in text, text
            assert f"({unsized} snapshots without a size)" in text
            assert "0 Bytes" not in text
