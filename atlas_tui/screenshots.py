"""Scenes of the app on the demo cloud, as SVG: `make screenshots` writes them to
screenshots/, and the SVG snapshot tests compare the same scenes at 80x24.

    python -m atlas_tui.screenshots screenshots     # all scenes
    python -m atlas_tui.screenshots out volumes     # one scene

The demo runs with its clock frozen at a fixed instant, so every run draws the same picture.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from textual.pilot import Pilot

from atlas_tui.app import AtlasApp, Launch
from atlas_tui.cloud.api.config import Profile
from atlas_tui.cloud.session import DEMO_SOURCE
from atlas_tui.settings import Settings
from atlas_tui.sim import DEMO_API_KEY, DEMO_SECRET_KEY, SimServer
from atlas_tui.ui.screens.base import BrowseScreen
from atlas_tui.ui.screens.instances import InstancesScreen
from atlas_tui.ui.screens.snapshots import SnapshotsScreen
from atlas_tui.ui.screens.volumes import VolumesScreen

SIZE = (80, 24)
FROZEN_AT = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)  # a Monday morning, for stable ages

Scene = Callable[[Pilot], Awaitable[None]]
S = TypeVar("S", bound=BrowseScreen)


async def _until(pilot: Pilot, condition: Callable[[], object], what: str = "a condition"
                 ) -> None:
    """Wait for a scene's condition without fixed sleeps (a stuck scene fails, not hangs)."""
    deadline = time.monotonic() + 15.0
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"screenshot scene: timed out waiting for {what}")
        await pilot.pause(0.02)


async def _loaded(pilot: Pilot, screen_type: type[S]) -> S:
    """Wait until the current screen is a `screen_type` that has finished loading."""

    def ready() -> bool:
        screen = pilot.app.screen
        return isinstance(screen, screen_type) and screen.updated is not None

    await _until(pilot, ready, f"{screen_type.__name__} to load")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, screen_type)
    return screen


def _atlas(pilot: Pilot) -> AtlasApp:
    """The app a scene drives (every scene runs an AtlasApp)."""
    app = pilot.app
    assert isinstance(app, AtlasApp)
    return app


def demo_sim() -> SimServer:
    # A fixed past instant, so a Date header (as a proxy in front would add) must tell the app
    # the server's time; without one, ages would count from today.
    return SimServer(seed="demo", api_key=DEMO_API_KEY, secret_key=DEMO_SECRET_KEY, speed=0,
                     start=FROZEN_AT, date_header=True)


def demo_app(sim: SimServer, **launch: Any) -> AtlasApp:
    """The app on the demo `sim`, its jobs timed by the simulator's clock: the scenes stop
    and advance that clock, so a job's elapsed seconds read the same on every run."""
    profile = Profile(name="demo", url=sim.endpoint, api_key=DEMO_API_KEY,
                      secret_key=DEMO_SECRET_KEY, source=DEMO_SOURCE)
    return AtlasApp(Launch(**launch), profile=profile, settings=Settings(),
                    job_clock=lambda: sim.clock.now().timestamp())


async def _home(pilot: Pilot) -> None:
    await _loaded(pilot, InstancesScreen)
    app = _atlas(pilot)
    await _until(pilot, lambda: app.session is not None
                 and {"snapshots", "policies"} <= app.session.inventory.loaded)
    await pilot.pause(0.4)  # the last repaint after the final page


async def instances(pilot: Pilot) -> None:
    await _home(pilot)


async def filtered(pilot: Pilot) -> None:
    await _home(pilot)
    await pilot.press("slash", *"web")


async def volumes(pilot: Pilot) -> None:
    await _home(pilot)
    await pilot.press("slash", *"hello-atlas", "enter", "enter")
    await _loaded(pilot, VolumesScreen)


async def vm_snapshots(pilot: Pilot) -> None:
    await _home(pilot)
    await pilot.press("slash", *"app-01", "enter", "enter")
    await _loaded(pilot, VolumesScreen)
    await pilot.press("tab")


async def snapshots(pilot: Pilot) -> None:
    await volumes(pilot)
    await pilot.press("enter")
    await _loaded(pilot, SnapshotsScreen)


async def details(pilot: Pilot) -> None:
    await snapshots(pilot)
    await pilot.press("i")
    await pilot.pause(0.1)


async def policies(pilot: Pilot) -> None:
    await snapshots(pilot)
    await pilot.press("p")
    await _loaded(pilot, BrowseScreen)


async def help_keys(pilot: Pilot) -> None:
    await volumes(pilot)
    await pilot.press("question_mark")
    await pilot.pause(0.2)


async def jobs(pilot: Pilot) -> None:
    await _home(pilot)
    await pilot.press("colon", *"jobs", "enter")
    await _loaded(pilot, BrowseScreen)


async def policy_form(pilot: Pilot) -> None:
    """Adding a daily policy to ROOT-42: the form says it replaces the guide's policy."""
    await policies(pilot)
    await pilot.press("a")
    await pilot.pause(0.1)
    await pilot.press("d")
    await pilot.pause(0.2)


async def policy_fix(pilot: Pilot) -> None:
    """`f` on the guide's DAILY "03:00": before and after, with the runs of each."""
    await policies(pilot)
    await pilot.press("f")
    await pilot.pause(0.2)


async def protection(pilot: Pilot) -> None:
    """The whole account, with a storage rate configured (0.05 USD per GiB-month)."""
    from atlas_tui.ui.screens.protection import ProtectionScreen
    from atlas_tui.ui.widgets.table import FastTable

    await _home(pilot)
    app = _atlas(pilot)
    app.settings = Settings(cost_per_gib_month=0.05)
    app.push_screen(ProtectionScreen())
    screen = await _loaded(pilot, ProtectionScreen)
    # The cursor on the deleted volume's snapshots, so the note explains that row.
    orphan = next(r.key for r in screen.rows if r.volume_name == "old-logs")
    screen.query_one(FastTable).move_cursor_to_key(orphan)
    await pilot.pause(0.2)


async def snapshot_dialog(pilot: Pilot) -> None:
    """`s` on a running VM's data disk: the guide's advice and the stop/start choice."""
    await volumes(pilot)
    await pilot.press("down", "s")
    await pilot.pause(0.3)


async def jobs_panel(pilot: Pilot) -> None:
    """A snapshot in progress, as every screen shows it (the clock is frozen mid-job)."""
    await volumes(pilot)
    await pilot.press("down", "s")
    await pilot.pause(0.3)
    await pilot.press("enter")
    app = _atlas(pilot)
    await _until(pilot, lambda: app.tracker is not None and app.tracker.jobs)
    await pilot.pause(0.5)


async def _dialog(pilot: Pilot, name: str) -> None:
    await _until(pilot, lambda: type(pilot.app.screen).__name__ == name, what=name)
    await pilot.pause(0.3)


async def vm_snapshot_dialog(pilot: Pilot) -> None:
    """`v` on hello-atlas: a VM snapshot's name, description, memory and what it blocks."""
    await _home(pilot)
    await pilot.press("v")
    await _dialog(pilot, "VMSnapshotDialog")


async def delete_confirm(pilot: Pilot) -> None:
    """`D` on a snapshot: the name typed to confirm."""
    await snapshots(pilot)
    await pilot.press("D")
    await _dialog(pilot, "TypeToConfirm")


async def jump_prompt(pilot: Pilot) -> None:
    await _home(pilot)
    await pilot.press("colon", *"vol DA")
    await pilot.pause(0.3)


async def policy_delete(pilot: Pilot) -> None:
    await policies(pilot)
    await pilot.press("D")
    await _dialog(pilot, "TypeToConfirm")


async def _restore_dialog_of_app01(pilot: Pilot) -> None:
    """`R` on app-01's root snapshot: app-01 has VM snapshots, which block a swap."""
    await _home(pilot)
    await pilot.press("slash", *"app-01", "enter", "enter")
    await _loaded(pilot, VolumesScreen)
    await pilot.press("enter")
    await _loaded(pilot, SnapshotsScreen)
    await pilot.press("R")
    await _dialog(pilot, "RestoreModeDialog")


async def restore_attach(pilot: Pilot) -> None:
    """The restore dialog on "attach as an extra disk": its target picker and options."""
    from textual.widgets import OptionList

    from atlas_tui.cloud.restore import Mode

    await _restore_dialog_of_app01(pilot)
    modes = pilot.app.screen.query_one(OptionList)
    modes.highlighted = modes.get_option_index(Mode.ATTACH.value)
    await pilot.pause(0.3)


async def restore_template(pilot: Pilot) -> None:
    """The restore dialog on "promote to a template": name, OS type, zone, offering."""
    from textual.widgets import OptionList

    from atlas_tui.cloud.restore import Mode

    await _restore_dialog_of_app01(pilot)
    modes = pilot.app.screen.query_one(OptionList)
    modes.highlighted = modes.get_option_index(Mode.TEMPLATE.value)
    await pilot.pause(0.3)


async def restore_dropdown(pilot: Pilot) -> None:
    """The OS type list opened in the template options: it stays inside the dialog."""
    from textual.widgets import Select

    await restore_template(pilot)
    pilot.app.screen.query_one("#ostype", Select).focus()
    await pilot.pause(0.1)
    await pilot.press("enter")
    await pilot.pause(0.3)


@contextlib.contextmanager
def fixed_run_tags() -> Iterator[None]:
    """Restore names carry a random per-run tag: a fixed one while a scene plans."""
    from atlas_tui.cloud.restore import run_tags

    run_tags.append(lambda: "5ce4e5")
    try:
        yield
    finally:
        run_tags.pop()


async def restore_plan(pilot: Pilot) -> None:
    """`R` on a ROOT snapshot, replace the root disk: the plan, before anything runs."""
    with fixed_run_tags():
        await _restore_plan(pilot)


async def _restore_plan(pilot: Pilot) -> None:
    await snapshots(pilot)
    await pilot.press("R")
    await _until(pilot, lambda: type(pilot.app.screen).__name__ == "RestoreModeDialog")
    await pilot.pause(0.2)
    await pilot.press("enter")
    await _until(pilot, lambda: type(pilot.app.screen).__name__ == "RestorePlanScreen")
    await pilot.pause(0.2)


async def restore_modes(pilot: Pilot) -> None:
    await snapshots(pilot)
    await pilot.press("R")
    await _until(pilot, lambda: type(pilot.app.screen).__name__ == "RestoreModeDialog")
    await pilot.pause(0.3)


async def _run_restore(pilot: Pilot, sim: SimServer, *, fail: str = "") -> None:
    if fail:
        sim.faults.parse(fail)
    await restore_plan(pilot)
    await pilot.press(*"hello-atlas", "enter")
    app = _atlas(pilot)
    for _ in range(400):
        if app.restores and app.restores[-1].finished:
            break
        sim.clock.advance(5)
        await pilot.pause(0.03)
    await pilot.pause(0.3)
    app.clear_notifications()
    await pilot.pause(0.1)


@contextlib.contextmanager
def demo_clock(sim: SimServer) -> Iterator[None]:
    """Journals and drills read the wall clock; in a scene they read the demo's frozen one,
    so the history's times and a drill's duration are the same every run. (It patches the
    modules that read the clock, so it names them rather than the facade.)"""
    import types

    from atlas_tui.cloud.restore import drill as drilling
    from atlas_tui.cloud.restore import journal
    from atlas_tui.cloud.restore import report as restore_report
    from atlas_tui.cloud.restore import runner as restore_run

    def now_iso() -> str:
        return sim.clock.now().isoformat(timespec="milliseconds")

    clock = types.SimpleNamespace(monotonic=lambda: sim.clock.now().timestamp())
    patched = [(journal, "now_iso", now_iso), (restore_run, "now_iso", now_iso),
               (restore_report, "now_iso", now_iso), (drilling, "now_iso", now_iso),
               (drilling, "time", clock)]
    saved = [(module, name, getattr(module, name)) for module, name, _ in patched]
    for module, name, value in patched:
        setattr(module, name, value)
    try:
        yield
    finally:
        for module, name, value in saved:
            setattr(module, name, value)


async def restores(pilot: Pilot, sim: SimServer) -> None:
    """`:restore` after a root swap that rolled back (the server refused the attach): the
    history, with the cursor on it so the note tells what the server said and what is left."""
    from atlas_tui.ui.screens.restores import RestoresScreen
    from atlas_tui.ui.widgets.table import FastTable

    with demo_clock(sim):
        await _run_restore(
            pilot, sim, fail="failjob:attachVolume!Failed to attach volume: device busy")
    await pilot.press("escape")  # back from the finished restore's progress
    await _loaded(pilot, SnapshotsScreen)
    await pilot.press("J")  # the jobs panel would hide the note
    await pilot.press("colon", *"restore", "enter")
    screen = await _loaded(pilot, RestoresScreen)
    table = screen.query_one(FastTable)
    await _until(pilot, lambda: table.row_count > 0, what="the restore history")
    await pilot.pause(0.2)


def _job_reads(sim: SimServer) -> int:
    return sim.state.calls["queryAsyncJobResult"] + sim.state.calls["listAsyncJobs"]


async def drill(pilot: Pilot, sim: SimServer) -> None:
    """`T` on hello-atlas: the newest BackedUp snapshot of each disk restored to a drill
    volume, checked, deleted; the live view of the drills at the end (the demo clock moves a
    minute at a time, so "restored in" is the same every run)."""
    from atlas_tui.ui.screens.drills import DrillsScreen

    await _home(pilot)
    app = pilot.app
    with demo_clock(sim):
        await pilot.press("T")  # the cursor is on hello-atlas, the first row
        await _until(pilot, lambda: isinstance(app.screen, DrillsScreen), what="the drills")
        screen = app.screen
        assert isinstance(screen, DrillsScreen)
        for _ in range(60):
            if screen.progress.finished:
                break
            polls = _job_reads(sim)
            sim.clock.advance(60)

            def read_or_done(p: int = polls, screen: DrillsScreen = screen) -> bool:
                return _job_reads(sim) > p or screen.progress.finished

            # The jobs read after each minute (not a wall-clock pause): the same figures.
            await _until(pilot, read_or_done, what="the drills' jobs read")
            await pilot.pause(0.1)
    await pilot.press("J")  # the jobs panel would hide the rows' results
    app.clear_notifications()
    await pilot.pause(0.7)  # the view's next repaint


SCENES: dict[str, Scene] = {
    "instances": instances,
    "filter": filtered,
    "volumes": volumes,
    "vm-snapshots": vm_snapshots,
    "snapshots": snapshots,
    "details": details,
    "policies": policies,
    "help": help_keys,
    "jobs": jobs,
    "policy-form": policy_form,
    "policy-fix": policy_fix,
    "protection": protection,
    "snapshot-dialog": snapshot_dialog,
    "jobs-panel": jobs_panel,
    "restore-modes": restore_modes,
    "restore-plan": restore_plan,
    "restore-attach": restore_attach,
    "restore-template": restore_template,
    "restore-dropdown": restore_dropdown,
    "vm-snapshot-dialog": vm_snapshot_dialog,
    "delete-confirm": delete_confirm,
    "policy-delete": policy_delete,
    "jump": jump_prompt,
}

# Scenes that drive the simulator too (its clock, its faults).
SIM_SCENES: dict[str, Callable[[Pilot, SimServer], Awaitable[None]]] = {
    "restore-done": lambda pilot, sim: _run_restore(pilot, sim),
    "restore-rollback": lambda pilot, sim: _run_restore(
        pilot, sim, fail="failjob:attachVolume!Failed to attach volume: device busy"),
    "restores": restores,
    "drill": drill,
}


def scene_names() -> list[str]:
    return [*SCENES, *SIM_SCENES]


async def play(name: str, pilot: Pilot, sim: SimServer) -> None:
    if name in SIM_SCENES:
        await SIM_SCENES[name](pilot, sim)
    else:
        await SCENES[name](pilot)
    await _lists_settled(pilot)
    await _steady_cursor(pilot)


async def _lists_settled(pilot: Pilot) -> None:
    """No list on the stack still loading: a reload a job started (the jobs the app finds
    at connect) says "loading…" only when it runs slowly, so a busy machine would draw it."""

    def settled() -> bool:
        return not any(isinstance(screen, BrowseScreen) and screen.loading_now
                       for screen in pilot.app.screen_stack)

    if not settled():
        await _until(pilot, settled, what="the lists to finish loading")
        await pilot.pause(0.1)  # the breadcrumb's repaint


async def _steady_cursor(pilot: Pilot) -> None:
    """A blinking text cursor is drawn or not depending on when the picture is taken."""
    from textual.widgets import Input

    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()


async def shoot(outdir: Path, names: list[str]) -> list[Path]:
    written = []
    for name in names:
        with _scratch_state():  # scenes that restore or drill keep journals: not in yours
            written.append(await _shoot_one(outdir, name))
    return written


@contextlib.contextmanager
def _scratch_state() -> Iterator[None]:
    import os
    import tempfile

    from atlas_tui.cloud.private_files import STATE_DIR_ENV

    before = os.environ.get(STATE_DIR_ENV)
    with tempfile.TemporaryDirectory(prefix="atlas-shots-") as scratch:
        os.environ[STATE_DIR_ENV] = scratch
        try:
            yield
        finally:
            if before is None:
                os.environ.pop(STATE_DIR_ENV, None)
            else:
                os.environ[STATE_DIR_ENV] = before


async def _shoot_one(outdir: Path, name: str) -> Path:
    sim = demo_sim()  # a fresh demo per scene: scenes that act change nothing else
    await sim.start()
    try:
        app = demo_app(sim)
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await play(name, pilot, sim)
            path = outdir / f"{name}.svg"
            path.write_text(app.export_screenshot(title=f"atlas-tui: {name}"), encoding="utf-8")
            return path
    finally:
        await sim.stop()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    outdir = Path(args[0] if args else "screenshots")
    names = args[1:] or scene_names()
    unknown = [n for n in names if n not in scene_names()]
    if unknown:
        print(f"unknown scene(s): {', '.join(unknown)}; known: {', '.join(scene_names())}")
        return 2
    outdir.mkdir(parents=True, exist_ok=True)
    for path in asyncio.run(shoot(outdir, names)):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
