"""The browse screens driven with Pilot against the simulator over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from atlas_tui.app import AtlasApp, Launch
from atlas_tui.cloud.api.client import CloudClient
from atlas_tui.cloud.api.config import Profile
from atlas_tui.settings import Settings
from atlas_tui.sim import SimServer
from atlas_tui.ui.screens.base import FilterBar
from atlas_tui.ui.screens.help import HelpScreen
from atlas_tui.ui.screens.instances import InstancesScreen
from atlas_tui.ui.screens.jobs import JobsScreen
from atlas_tui.ui.screens.policies import PoliciesScreen
from atlas_tui.ui.screens.snapshots import SnapshotsScreen
from atlas_tui.ui.screens.start import ConnectErrorScreen, NoConfigScreen
from atlas_tui.ui.screens.volumes import VolumesScreen
from atlas_tui.ui.widgets.chrome import Breadcrumbs, DetailPane
from atlas_tui.ui.widgets.table import FastTable
from tests.conftest import profile_for
from tests.ui.helpers import (
    cells,
    loaded,
    press_and_reload,
    screen_as,
    screen_text,
    session_of,
    until,
)

# Each test runs as a regular account on 4.22, as a root admin and against 4.15.
RUN_ACROSS_VIEWS = True


def app_for(sim: SimServer, **launch: Any) -> AtlasApp:
    return AtlasApp(Launch(**launch), profile=profile_for(sim), settings=Settings())


def crumbs(app: AtlasApp) -> tuple[str, ...]:
    return app.screen.query_one(Breadcrumbs).path


async def open_hello(pilot) -> VolumesScreen:
    await loaded(pilot, InstancesScreen)
    await pilot.press("slash", *"hello-atlas", "enter", "enter")
    return await loaded(pilot, VolumesScreen)


async def test_home_lists_instances_with_protection(sim: SimServer) -> None:
    app = app_for(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot, InstancesScreen)
        table = screen.query_one(FastTable)
        await until(pilot, lambda: "snapshots" in session_of(app).inventory.loaded)
        await pilot.pause(0.3)
        names = cells(table, "name")
        assert "hello-atlas" in names and "db-01" in names
        protection = dict(zip(names, cells(table, "protection"), strict=True))
        assert protection["db-01"] == "✗ none"
        assert protection["hello-atlas"] == "hourly+daily"
        assert protection["win-fileserver"].endswith("(1/2 vols)")
        text = screen_text(app)
        assert "demo" in text and "READ-ONLY" not in text
        assert crumbs(app) == ("demo", "instances")
        assert "orphaned snapshots" in text


async def test_drill_down_and_back(sim: SimServer) -> None:
    app = app_for(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        volumes = await open_hello(pilot)
        assert crumbs(app) == ("demo", "hello-atlas", "volumes")
        table = volumes.query_one("#volumes", FastTable)
        assert cells(table, "name") == ["ROOT-42", "DATA-42"]
        assert cells(table, "type") == ["ROOT", "DATADISK"]
        assert "00:03" in cells(table, "schedule")[0]  # the guide's "03:00" read minutes-first
        await pilot.press("enter")
        snaps = await loaded(pilot, SnapshotsScreen)
        assert crumbs(app) == ("demo", "hello-atlas", "ROOT-42", "snapshots")
        kinds = cells(snaps.query_one(FastTable), "type")
        assert kinds.count("daily") == 7 and kinds.count("manual") == 2
        await pilot.press("p")
        policies = await loaded(pilot, PoliciesScreen)
        assert cells(policies.query_one(FastTable), "check") == ["check ⚠"]
        note = str(policies.query_one("#policy-note").render())
        assert "did you mean 03:00" in note and "next: " in note
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, SnapshotsScreen))
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, VolumesScreen))
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, InstancesScreen))
        assert crumbs(app) == ("demo", "instances")


async def test_vm_snapshots_are_listed_with_their_warning(sim: SimServer) -> None:
    app = app_for(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, InstancesScreen)
        await pilot.press("slash", *"app-01", "enter", "enter")
        screen = await loaded(pilot, VolumesScreen)
        table = screen.query_one("#vm-snapshots", FastTable)
        assert sorted(cells(table, "name")) == ["before-upgrade", "pre-kernel-update"]
        assert "they block attach, detach and revert" in screen_text(app)
        await pilot.press("tab")
        assert table.has_focus


async def test_filter_substring_regex_invert_and_bad_regex(sim: SimServer) -> None:
    app = app_for(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot, InstancesScreen)
        table = screen.query_one(FastTable)
        total = table.row_count
        await pilot.press("slash", *"web")
        assert sorted(cells(table, "name")) == ["basic-web", "web-01"]
        bar = screen.query_one(FilterBar)
        assert bar.border_subtitle == f"2/{total}"
        await pilot.press(*["backspace"] * 3, *"~^web")
        assert cells(table, "name") == ["web-01"]
        await pilot.press(*["backspace"] * 5, *"!web")
        assert "web-01" not in cells(table, "name") and table.visible_count == total - 2
        await pilot.press(*["backspace"] * 4, *"~[")
        assert bar.border_subtitle and "regex" in str(bar.border_subtitle).lower()
        assert table.visible_count == total  # the previous result (empty filter) stays
        await pilot.press("escape")
        assert table.visible_count == total and not bar.has_class("shown")


async def test_sort_by_column_and_reverse(sim: SimServer) -> None:
    app = app_for(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot, InstancesScreen)
        table = screen.query_one(FastTable)
        await pilot.press("o")
        assert table.sort_column == "name"
        names = cells(table, "name")
        assert names == sorted(names, key=str.lower)
        await pilot.press("O")
        assert cells(table, "name") == sorted(names, key=str.lower, reverse=True)
        await pilot.press("o")
        assert table.sort_column == "state"


async def test_jump_to_vm_volume_snapshot_and_jobs(sim: SimServer) -> None:
    app = app_for(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, InstancesScreen)
        await until(pilot, lambda: "volumes" in session_of(app).inventory.loaded)
        await pilot.press("colon", *"vm web-01", "enter")
        await loaded(pilot, VolumesScreen)
        assert crumbs(app)[1] == "web-01"
        await pilot.press("colon", *"vol DATA-43", "enter")
        await loaded(pilot, SnapshotsScreen)
        assert crumbs(app)[2] == "DATA-43"
        async with CloudClient(profile_for(sim)) as c:
            target = [s for s in await c.snapshots() if s.volumename == "ROOT-46"][-1]
        await pilot.press("colon", *f"snap {target.name}", "enter")
        screen = await loaded(pilot, SnapshotsScreen)
        await until(pilot, lambda: screen.query_one(FastTable).cursor_key == target.id)
        await pilot.press("colon", *"jobs", "enter")
        await loaded(pilot, JobsScreen)
        await pilot.press("colon", *"vm no-such-machine", "enter")
        await pilot.pause(0.1)
        assert isinstance(app.screen, JobsScreen)  # nothing found: stay, say so


async def test_help_lists_this_screens_keys(sim: SimServer) -> None:
    app = app_for(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_hello(pilot)
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.pause(0.1)
        assert "Keys on this screen" in screen_text(app)
        keys = dict(screen_as(app, HelpScreen).rows)
        assert keys["s"] == "Snapshot" and keys["p"] == "Policies" and keys["/"] == "Filter"
        assert keys["R"].startswith("Revert to VM snap — not now: select a VM snapshot")
        assert "ctrl+p" in keys
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, VolumesScreen))


async def test_refresh_shows_changes_made_elsewhere(sim: SimServer) -> None:
    app = app_for(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_hello(pilot)
        await pilot.press("enter")
        screen = await loaded(pilot, SnapshotsScreen)
        table = screen.query_one(FastTable)
        before = table.row_count
        async with CloudClient(profile_for(sim)) as other:
            [root] = [v for v in await other.volumes() if v.name == "ROOT-42"]
            await other.create_snapshot(root.id, name="made-elsewhere")
        await press_and_reload(pilot, screen, "r")
        assert table.row_count == before + 1
        assert "made-elsewhere" in cells(table, "name")


async def test_details_pane_and_copy_id(sim: SimServer) -> None:
    app = app_for(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        volumes = await open_hello(pilot)
        table = volumes.query_one("#volumes", FastTable)
        await pilot.press("i")
        pane = volumes.query_one(DetailPane)
        assert pane.has_class("shown")
        assert table.cursor_key and table.cursor_key in screen_text(app)
        await pilot.press("y")
        assert app.clipboard == table.cursor_key


async def test_palette_offers_and_runs_screen_actions(sim: SimServer) -> None:
    app = app_for(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot, InstancesScreen)
        await pilot.press("ctrl+p")
        await pilot.pause(0.2)
        await pilot.press(*"refresh")
        await pilot.pause(0.3)
        assert "key: r" in screen_text(app)  # the hit for Refresh, with its key
        await press_and_reload(pilot, screen, "enter")


async def test_read_only_is_in_the_header(sim: SimServer) -> None:
    app = app_for(sim, read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, InstancesScreen)
        assert "READ-ONLY" in screen_text(app)
        assert app.session is not None and session_of(app).client.read_only


async def test_nothing_configured_explains_and_offers_the_demo() -> None:
    app = AtlasApp(Launch(demo_speed=0), settings=Settings())
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, NoConfigScreen))
        await pilot.pause(0.2)
        assert "d opens the demo cloud" in screen_text(app)  # visible without scrolling
        message = str(app.screen.query_one("#message").render())
        for words in ("/.cmk/config (not found)", "CLOUDSTACK_ENDPOINT (not set)",
                      "[atlas]", "secretkey = <your secret key>", "atlas-tui --demo"):
            assert words in message
        await pilot.press("d")
        await loaded(pilot, InstancesScreen, timeout=30)
        assert app.session is not None and app.session.profile.name == "demo"


async def test_wrong_keys_show_a_message_and_retry(sim: SimServer) -> None:
    app = AtlasApp(Launch(), profile=profile_for(sim, secret="not-the-secret"),
                   settings=Settings())
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ConnectErrorScreen))
        await pilot.pause(0.2)
        text = screen_text(app)
        assert "unable to verify user credentials" in text and "401" in text
        assert "not-the-secret" not in text
        first = app.screen
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ConnectErrorScreen)
                    and app.screen is not first)


@pytest.mark.parametrize("url, words", [
    ("http://127.0.0.1:9/client/api", "Cannot reach the API"),
    ("https://127.0.0.1:{port}/client/api", "TLS"),
])
async def test_unreachable_or_tls_endpoint_is_explained(sim: SimServer, url: str,
                                                         words: str) -> None:
    port = sim.endpoint.split(":")[2].split("/")[0]
    profile = Profile("broken", url.format(port=port), "k", "s", "test", timeout_s=2)
    app = AtlasApp(Launch(), profile=profile, settings=Settings())
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ConnectErrorScreen), timeout=30)
        await pilot.pause(0.2)
        text = screen_text(app)
        assert words in text and "Traceback" not in text
