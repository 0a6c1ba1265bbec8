"""Issue 14, as an on-call responder meets it at 80x24: esc up the breadcrumb after a jump,
names cut in the middle, statuses that read without colour, dialogs' tab order."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text

from atlas_tui.app import AtlasApp, Launch
from atlas_tui.settings import Settings
from atlas_tui.sim import SimServer
from atlas_tui.ui.screens.instances import InstancesScreen
from atlas_tui.ui.screens.jobs import JobsScreen
from atlas_tui.ui.screens.snapshots import SnapshotsScreen
from atlas_tui.ui.screens.volumes import VolumesScreen
from atlas_tui.ui.widgets.chrome import Breadcrumbs, fit_path
from atlas_tui.ui.widgets.table import _cut_text_middle, _fit
from atlas_tui.ui.widgets.table_model import Column, layout_columns
from tests.conftest import profile_for
from tests.ui.helpers import loaded, until


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
