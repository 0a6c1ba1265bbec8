"""Issue 14, as an on-call responder meets it at 80x24: esc up the breadcrumb after a jump,
names cut in the middle, statuses that read without colour, dialogs' tab order."""

from __future__ import annotations

import pytest
from rich.cells import cell_len
from rich.text import Text
from textual.color import Color
from textual.containers import ScrollableContainer, VerticalGroup
from textual.geometry import Region
from textual.screen import ModalScreen
from textual.scroll_view import ScrollView
from textual.widget import Widget
from textual.widgets import Select
from textual.widgets._select import SelectOverlay

from atlas_tui.app import AtlasApp, Launch
from atlas_tui.screenshots import play
from atlas_tui.settings import Settings
from atlas_tui.sim import SimServer
from atlas_tui.ui.screens.instances import InstancesScreen
from atlas_tui.ui.screens.jobs import JobsScreen
from atlas_tui.ui.screens.snapshots import SnapshotsScreen
from atlas_tui.ui.screens.volumes import VolumesScreen
from atlas_tui.ui.widgets.chrome import Breadcrumbs, fit_path
from atlas_tui.ui.widgets.table import FastTable, _cut_text_middle, _fit
from atlas_tui.ui.widgets.table_model import Column, layout_columns
from tests.conftest import profile_for
from tests.ui.helpers import cells, loaded, until


def app_for(sim: SimServer, **launch: object) -> AtlasApp:
    return AtlasApp(Launch(**launch), profile=profile_for(sim), settings=Settings())  # type: ignore[arg-type]


def crumbs(app: AtlasApp) -> tuple[str, ...]:
    return app.screen.query_one(Breadcrumbs).path


async def test_esc_goes_up_the_breadcrumb_after_a_jump(sim: SimServer) -> None:
    """Deep in one VM, `:vol` to another VM's disk: esc walks that disk's breadcrumb up
    (its VM's volumes, then home), never back through the screens seen before the jump."""
    app = app_for(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, InstancesScreen)
        await until(pilot, lambda: "volumes" in app.session.inventory.loaded)  # type: ignore[union-attr]
        await pilot.press("slash", *"hello-atlas", "enter", "enter")
        await loaded(pilot, VolumesScreen)
        await pilot.press("enter")
        await loaded(pilot, SnapshotsScreen)
        assert crumbs(app) == ("demo", "hello-atlas", "ROOT-42", "snapshots")

        await pilot.press("colon", *"vol DATA-43", "enter")
        await until(pilot, lambda: isinstance(app.screen, SnapshotsScreen)
                    and crumbs(app)[2] == "DATA-43", what="the jump")
        path = crumbs(app)
        assert path == ("demo", "web-01", "DATA-43", "snapshots")
        # Up from the volume's snapshots: its VM's volumes, then home; one press per level.
        await pilot.press("escape")
        await loaded(pilot, VolumesScreen)
        assert crumbs(app) == ("demo", "web-01", "volumes")
        await pilot.press("escape")
        await loaded(pilot, InstancesScreen)
        assert crumbs(app) == ("demo", "instances")
        assert len(app.screen_stack) == 2  # no history left under home
        # Home: esc goes nowhere.
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert isinstance(app.screen, InstancesScreen)


async def test_a_jump_replaces_the_path(sim: SimServer) -> None:
    """`:jobs` from a snapshot list: one esc is home, not back to the snapshots."""
    app = app_for(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, InstancesScreen)
        await pilot.press("slash", *"hello-atlas", "enter", "enter")
        await loaded(pilot, VolumesScreen)
        await pilot.press("enter")
        await loaded(pilot, SnapshotsScreen)
        await pilot.press("colon", *"jobs", "enter")
        await loaded(pilot, JobsScreen)
        assert crumbs(app) == ("demo", "jobs")
        await pilot.press("escape")
        await loaded(pilot, InstancesScreen)
        assert len(app.screen_stack) == 2


# -- truncation at 80 columns ---------------------------------------------------------------


def test_names_are_cut_in_the_middle_keeping_the_end() -> None:
    """Snapshot names differ at their end (the date): the cut keeps it."""
    names = ["hello-atlas_ROOT-42_20261129000304", "hello-atlas_ROOT-42_20261128000310"]
    for width in (16, 20, 28):
        shown = [_fit(n, width, "left", middle=True) for n in names]
        assert all(cell_len(s) == width and "…" in s for s in shown)
        assert shown[0] != shown[1]  # still told apart
        assert all(s.startswith("hello") for s in shown)
    assert _fit(names[0], 28, "left", middle=True).endswith("20261129000304")
    # The old end cut loses exactly what differs.
    assert _fit(names[0], 28, "left") == _fit(names[1], 28, "left")
    # A name that fits is untouched; a flag at the end of a styled name survives the cut.
    assert _fit("db-01", 10, "left", middle=True) == "db-01     "
    flagged = Text.assemble("win-fileserver-primary", (" ⚠ no root disk", "bold red"))
    assert _cut_text_middle(flagged, 24).plain.endswith("⚠ no root disk")


def test_exact_times_stay_whole_another_column_gives_way() -> None:
    columns = [Column("name", "NAME", min_width=10, max_width=40, cut="middle", priority=100),
               Column("created", "CREATED", max_width=23, whole=True, priority=80),
               Column("size", "SIZE", min_width=8, priority=70)]
    exact = len("2026-11-15 17:03:00 UTC")
    fitted = dict(layout_columns(columns, [34, exact, 10], 60, gap=2))
    assert fitted[1] == exact  # whole
    assert fitted[0] < 34  # the name gave way
    narrow = dict(layout_columns(columns, [34, exact, 10], 40, gap=2))
    assert narrow.get(1) == exact and 2 not in narrow  # the size column went instead


def test_breadcrumb_leaves_room_for_the_freshness() -> None:
    path = ("demo", "hello-atlas-with-a-really-long-name", "ROOT-42-on-a-long-volume-name",
            "snapshots")
    for room in (40, 50, 60):
        parts = fit_path(path, room)
        assert len(" › ".join(parts)) <= room
        assert parts[-1] == "snapshots"  # where you are is kept
    assert fit_path(("demo", "instances"), 60) == ["demo", "instances"]


# -- dialogs: tab order is the visual order, and every stop is visible ---------------------

DIALOG_SCENES = ["snapshot-dialog", "vm-snapshot-dialog", "delete-confirm", "policy-delete",
                 "policy-form", "policy-fix", "restore-modes", "restore-attach",
                 "restore-template", "jump"]


def _visible_on_screen(widget: Widget, screen_region: Region) -> bool:
    """Drawn, whole, on the screen, and not a scrolling container: a container shows no
    focus of its own, so the user sees nothing where tab landed and enter does nothing."""
    region = widget.region
    return (widget.display and widget.visible and region.area > 0
            and screen_region.contains_region(region)
            and not (isinstance(widget, ScrollableContainer)
                     and not isinstance(widget, ScrollView)))


@pytest.mark.parametrize("scene", DIALOG_SCENES)
async def test_dialog_tab_order_is_the_visual_order(scene: str, sim: SimServer) -> None:
    app = app_for(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await play(scene, pilot, sim)
        dialog = app.screen
        assert isinstance(dialog, ModalScreen), type(dialog).__name__
        if not dialog.focus_chain:  # a dialog answered by keys alone (y / n): no tab stops
            await pilot.press("tab")
            assert dialog.focused is None and app.screen is dialog
            return
        stops: list[Widget] = []
        for _ in range(20):  # round the whole cycle once
            await pilot.press("tab")
            await pilot.pause()
            focused = dialog.focused
            assert focused is not None, "tab left nothing focused"
            if focused in stops:
                break
            stops.append(focused)
        assert stops, "nothing to tab to"
        for widget in stops:  # no invisible stop: each is drawn, whole, on the screen
            assert _visible_on_screen(widget, dialog.region), (
                f"{scene}: tab lands on {widget!r}, which is not visible")
        # The cycle, started from the stop highest on the screen, reads top to bottom and
        # left to right.
        first = min(range(len(stops)), key=lambda i: (stops[i].region.y, stops[i].region.x))
        cycle = stops[first:] + stops[:first]
        positions = [(w.region.y, w.region.x) for w in cycle]
        assert positions == sorted(positions), (
            f"{scene}: tab order {[type(w).__name__ + '#' + str(w.id) for w in cycle]}")


async def test_an_open_dropdown_stays_inside_its_dialog(sim: SimServer) -> None:
    """The OS type list of the template options (ten types) at 80x24: inside the border."""
    app = app_for(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await play("restore-dropdown", pilot, sim)
        select = app.screen.query_one("#ostype", Select)
        assert select.expanded
        overlay = select.query_one(SelectOverlay)
        box = app.screen.query_one(VerticalGroup)
        assert box.region.contains_region(overlay.region), (box.region, overlay.region)


# -- without colour ------------------------------------------------------------------------


async def test_no_color_statuses_read_in_words_and_keep_contrast(
        sim: SimServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Under NO_COLOR the unprotected marker is a symbol and a word, and no text of a row
    is grey on near-black (Textual's own monochrome made bold red almost invisible)."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = app_for(sim)
    assert app.no_color
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot, InstancesScreen)
        await until(pilot, lambda: {"volumes", "policies"} <= app.session.inventory.loaded)  # type: ignore[union-attr]
        await pilot.pause(0.3)
        table = screen.query_one(FastTable)
        names = cells(table, "name")
        protection = dict(zip(names, cells(table, "protection"), strict=True))
        assert protection["db-01"] == "✗ none"
        lines = [table.render_line(y) for y in range(table.size.height)]
        row = next(strip for strip in lines if "db-01" in strip.text)
        background = table.background_colors[1]
        segments = list(row)
        for line_filter in app.get_line_filters():
            segments = line_filter.apply(segments, background)
        for segment in segments:
            if not segment.text.strip() or segment.style is None or segment.style.color is None:
                continue
            fg = Color.from_rich_color(segment.style.color)
            bg = (Color.from_rich_color(segment.style.bgcolor) if segment.style.bgcolor
                  else background)
            assert abs(fg.brightness - bg.brightness) >= 0.4, (segment.text, fg, bg)
            assert fg.r == fg.g == fg.b, segment  # grey: no colour left


# -- forms ---------------------------------------------------------------------------------


async def test_policy_form_opens_on_daily_or_the_interval_the_volume_lacks(
        sim: SimServer) -> None:
    from atlas_tui.cloud.schedule.codec import Interval
    from atlas_tui.ui.screens.policies import PoliciesScreen
    from atlas_tui.ui.screens.policy_form import IntervalPicker, PolicyForm

    app = app_for(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, InstancesScreen)
        await until(pilot, lambda: "volumes" in app.session.inventory.loaded)  # type: ignore[union-attr]
        inv = app.session.inventory  # type: ignore[union-attr]
        for volume_name, expected in (("DATA-44", Interval.DAILY),  # db-01: no policy
                                      ("ROOT-42", Interval.WEEKLY)):  # has its DAILY
            volume = next(v for v in inv.volumes.values() if v.name == volume_name)
            app.push_screen(PoliciesScreen(inv.vms.get(volume.virtualmachineid), volume))
            await loaded(pilot, PoliciesScreen)
            await pilot.press("a")
            await until(pilot, lambda: isinstance(app.screen, PolicyForm), what="the form")
            await pilot.pause()
            assert app.screen.query_one(IntervalPicker).value is expected, volume_name
            await pilot.press("escape")
            await pilot.press("escape")
            await loaded(pilot, InstancesScreen)


async def test_wide_terminal_shows_whole_names_and_exact_times(sim: SimServer) -> None:
    """At 200 columns nothing of the snapshots table is cut, exact times included; at 80
    the names lose their middle, never their end, and the times stay whole."""
    app = app_for(sim)
    async with app.run_test(size=(200, 40)) as pilot:
        await loaded(pilot, InstancesScreen)
        await pilot.press("slash", *"hello-atlas", "enter", "enter")
        await loaded(pilot, VolumesScreen)
        await pilot.press("enter")
        screen = await loaded(pilot, SnapshotsScreen)
        await pilot.press("t")
        await pilot.pause(0.2)
        table = screen.query_one(FastTable)
        names, times = cells(table, "name"), cells(table, "created")
        wide = "\n".join(table.render_line(y).text for y in range(table.size.height))
        assert "…" not in wide
        assert all(n in wide for n in names) and all(t in wide for t in times)
        await pilot.resize_terminal(80, 24)
        await pilot.pause(0.3)
        shown = [table.render_line(y).text for y in range(1, min(table.size.height, 6))]
        for line, name, time in zip(shown, names, times, strict=False):
            assert time in line  # whole
            assert name[-6:] in line  # the end that tells them apart
