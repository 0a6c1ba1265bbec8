"""The app over the `hostile` seed: every name, display name and description carries Textual
markup, unbalanced brackets, `[@click=...]` actions, terminal escapes (OSC 52, OSC 0, CSI,
C1), bidi overrides, zero-width characters, newlines and 5,000 characters.

A walk presses every binding of every screen and dialog it reaches (and the flows behind
them: snapshot, VM snapshot, delete, restore, policies, jobs), clicks every row and every
place the `@click` names are drawn, and checks after each step that the app still runs,
that nothing drawn carries a live `@click` action, and that no click quit or wrote a file.
The terminal bytes themselves are checked in tests/test_terminal.py.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Input, OptionList, Select

from atlas_tui.app import AtlasApp, Launch
from atlas_tui.settings import Settings
from atlas_tui.sim import SimServer
from atlas_tui.sim.seeds import HOSTILE, HOSTILE_CLICK_FILE
from atlas_tui.ui.screens.base import FilterBar
from atlas_tui.ui.screens.dialogs import SnapshotDialog, TypeToConfirm, VMSnapshotDialog
from atlas_tui.ui.screens.instances import InstancesScreen
from atlas_tui.ui.screens.jobs import JobsScreen
from atlas_tui.ui.screens.policies import PoliciesScreen
from atlas_tui.ui.screens.policy_form import FixConfirm, PolicyForm
from atlas_tui.ui.screens.restore import (
    RestoreModeDialog,
    RestorePlanScreen,
    RestoreProgressScreen,
    UnfinishedRestoreDialog,
)
from atlas_tui.ui.screens.snapshots import SnapshotsScreen
from atlas_tui.ui.screens.start import ConnectErrorScreen
from atlas_tui.ui.screens.volumes import VolumesScreen
from atlas_tui.ui.widgets.table import FastTable
from tests.conftest import profile_for, running_sim
from tests.ui.helpers import atlas_of, loaded, screen_as, screen_text, until

# Actions that end the app on purpose: the walk never presses them.
QUITTING = {"quit", "app.quit", "help_quit"}
CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
MAX_DEPTH = 4


@pytest.fixture
async def hostile_sim() -> AsyncIterator[SimServer]:
    async with running_sim(seed="hostile", speed=0) as server:
        yield server


def hostile_app(sim: SimServer) -> AtlasApp:
    return AtlasApp(Launch(), profile=profile_for(sim), settings=Settings())


def alive(app: AtlasApp) -> None:
    assert app.is_running and app.return_code is None, "the app quit"
    assert not app._exception, f"the app raised {app._exception!r}"


def live_clicks(app: AtlasApp) -> list[str]:
    """`@click` actions on anything drawn now (Textual's own widgets use none)."""
    found = []
    for strip in app.screen._compositor.render_strips():
        for segment in strip:
            meta = segment.style.meta if segment.style is not None else {}
            if "@click" in meta:
                found.append(f"{segment.text!r}: {meta['@click']!r}")
    return found


def places(app: AtlasApp, word: str) -> list[tuple[int, int]]:
    """Screen cells where `word` is drawn."""
    found = []
    for y, strip in enumerate(app.screen._compositor.render_strips()):
        line = "".join(segment.text for segment in strip)
        for match in re.finditer(re.escape(word), line):
            found.append((cell_len(line[: match.start()]) + 1, y))
    return found


async def settle(pilot: Pilot) -> None:
    """Let loads started by the last key finish (a dialog's action worker stays open)."""
    app = pilot.app
    await pilot.pause()
    await until(pilot, lambda: not any(
        w.is_running for w in app.workers if w.group in ("load", "jump", "policy-change")),
        15, "loads to finish")
    await pilot.pause()


async def check(pilot: Pilot, cwd: Path) -> None:
    app = atlas_of(pilot)
    alive(app)
    assert not live_clicks(app), live_clicks(app)
    assert not list(cwd.glob(f"*{HOSTILE_CLICK_FILE}*")), "a click wrote a file"


async def click_everything(pilot: Pilot, cwd: Path) -> None:
    """Click each visible table row and every place a `@click` name is drawn."""
    app = atlas_of(pilot)
    screen = app.screen
    for table in list(screen.query(FastTable)):
        if not table.region.height:
            continue
        for row in range(1, min(table.region.height, table.visible_count + 1)):
            if app.screen is not screen:
                return
            await pilot.click(table, offset=(4, row))
            await check(pilot, cwd)
    for word in ("CLICKQUIT", "CLICKFILE"):
        for x, y in places(app, word):
            if app.screen is not screen:
                return
            await pilot.click(offset=(x + 1, y))
            await check(pilot, cwd)


def keys_of(screen: Screen) -> list[str]:
    """One key for every binding of the screen, its focused widget and the app. Keys that
    leave the screen (enter submits, escape goes back) come last, so the others run first."""
    keys: dict[tuple[int, str], str] = {}
    for key, active in screen.active_bindings.items():
        action = active.binding.action
        if action in QUITTING or key in ("ctrl+c", "super+c"):
            continue
        keys.setdefault((id(active.node), action), key)
    leaving = {"enter": 1, "q": 2, "question_mark": 2, "escape": 3}
    return sorted(keys.values(), key=lambda k: leaving.get(k, 0))


async def back_to(pilot: Pilot, screen: Screen) -> None:
    app = pilot.app
    for _ in range(8):
        if app.screen is screen or screen not in app.screen_stack:
            break
        focused = app.screen.focused
        if isinstance(focused, Input) and not isinstance(focused, FilterBar):
            focused.value = ""
        await pilot.press("escape")
        await settle(pilot)
    while app.screen is not screen and screen in app.screen_stack:
        app.pop_screen()
        await settle(pilot)
    if isinstance(screen.focused, FilterBar):
        await pilot.press("escape")
        await settle(pilot)


async def walk(pilot: Pilot, screen: Screen, depth: int, seen: set[str], cwd: Path) -> None:
    app = pilot.app
    await click_everything(pilot, cwd)
    await back_to(pilot, screen)
    for key in keys_of(screen):
        await back_to(pilot, screen)
        if app.screen is not screen:
            return
        below = list(app.screen_stack)
        await pilot.press(key)
        await settle(pilot)
        await check(pilot, cwd)
        new = app.screen
        if new not in below:
            name = type(new).__name__
            if name not in seen and depth < MAX_DEPTH:
                seen.add(name)
                await walk(pilot, new, depth + 1, seen, cwd)
        elif isinstance(screen.focused, FilterBar):
            await pilot.press(*"CLICK", "enter")
            await settle(pilot)
            await check(pilot, cwd)


@pytest.mark.slow
async def test_every_binding_of_every_screen_over_hostile_names(
    hostile_sim: SimServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # where the hostile screenshot action would write
    app = hostile_app(hostile_sim)
    seen = {"InstancesScreen"}
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        home = await loaded(pilot, InstancesScreen)
        await walk(pilot, home, 0, seen, tmp_path)
        alive(app)
    # The walk reached the screens behind the keys (the rest have their own flows below).
    assert {"HelpScreen", "JumpPrompt", "VolumesScreen", "ProtectionScreen",
            "SnapshotDialog", "VMSnapshotDialog", "PoliciesScreen"} <= seen, seen


async def open_vm(pilot: Pilot, app: AtlasApp, vm_id: str) -> VolumesScreen:
    home = await loaded(pilot, InstancesScreen)
    home.query_one(FastTable).move_cursor_to_key(vm_id)
    await pilot.press("enter")
    return await loaded(pilot, VolumesScreen)


@pytest.mark.slow
async def test_flows_over_hostile_names_show_plain_text(
    hostile_sim: SimServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dialogs, forms and toasts the issue found broken, each opened on purpose."""
    monkeypatch.chdir(tmp_path)
    state = hostile_sim.core.state
    app = hostile_app(hostile_sim)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        for vm in sorted(state.vms.values(), key=lambda v: v.dbid):
            volumes = await open_vm(pilot, app, vm.id)
            await click_everything(pilot, tmp_path)
            await pilot.press("i")  # the detail pane: every raw field
            await settle(pilot)
            await check(pilot, tmp_path)
            await pilot.press("i", "v")
            await until(pilot, lambda: isinstance(app.screen, VMSnapshotDialog))
            await check(pilot, tmp_path)
            await click_everything(pilot, tmp_path)
            await pilot.press("escape", "s")
            await until(pilot, lambda: isinstance(app.screen, SnapshotDialog))
            await click_everything(pilot, tmp_path)
            await check(pilot, tmp_path)
            await pilot.press("escape", "escape")

            def left(v: VolumesScreen = volumes) -> bool:
                return app.screen is not v

            await until(pilot, left)

        # A name with newlines is one line, its line breaks in visible form, in the list
        # and in the detail pane.
        two = next(v for v in state.vms.values() if v.name == HOSTILE["click_quit"])
        await open_vm(pilot, app, two.id)
        await pilot.press("enter")
        await loaded(pilot, SnapshotsScreen)
        await pilot.press("i")
        await settle(pilot)
        shown = screen_text(app)
        assert "two␊lines␍␊here" in shown and "two lines" not in shown
        await back_to(pilot, next(s for s in app.screen_stack if isinstance(s, InstancesScreen)))

        # A VM snapshot's revert and delete confirmations, then a real delete.
        one = next(v for v in state.vms.values() if v.name == HOSTILE["unbalanced"])
        volumes = await open_vm(pilot, app, one.id)
        await pilot.press("tab", "R")
        await until(pilot, lambda: isinstance(app.screen, TypeToConfirm))
        await check(pilot, tmp_path)
        await pilot.press("escape", "D")
        await until(pilot, lambda: isinstance(app.screen, TypeToConfirm))
        await click_everything(pilot, tmp_path)
        confirm = screen_as(app, TypeToConfirm)
        confirm.query_one("#confirm", Input).value = confirm.expected
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is volumes)
        await until(pilot, lambda: not state.vmsnapshots or all(
            s.state != "Ready" for s in state.vmsnapshots.values()), what="the delete")

        # The root's snapshots: delete one (typed name), restore from another.
        await pilot.press("tab")
        root = next(v for v in one.volumes if v.type == "ROOT")
        volumes.query_one("#volumes", FastTable).move_cursor_to_key(root.id)
        await pilot.press("enter")
        snaps = await loaded(pilot, SnapshotsScreen)

        # Policies: the form (add, edit), the fix confirmation, the delete confirmation.
        await pilot.press("p")
        policies = await loaded(pilot, PoliciesScreen)
        await check(pilot, tmp_path)
        for key, dialog_type in (("a", PolicyForm), ("e", PolicyForm), ("f", FixConfirm),
                                 ("D", TypeToConfirm)):
            await pilot.press(key)

            def opened(t: type[Screen[Any]] = dialog_type) -> bool:
                return isinstance(app.screen, t)

            await until(pilot, opened, what=key)
            await check(pilot, tmp_path)
            await pilot.press("escape")
            await until(pilot, lambda: app.screen is policies)
        await pilot.press("f")
        await until(pilot, lambda: isinstance(app.screen, FixConfirm))
        await pilot.press("y")  # fixes it: a toast that names the schedule
        await settle(pilot)
        await check(pilot, tmp_path)
        await back_to(pilot, snaps)

        # Delete (cancelled at the typed name), then a restore planned, confirmed and run.
        await click_everything(pilot, tmp_path)
        await pilot.press("D")
        await until(pilot, lambda: isinstance(app.screen, TypeToConfirm))
        await check(pilot, tmp_path)
        await pilot.press("escape", "R")
        await until(pilot, lambda: isinstance(app.screen, RestoreModeDialog))
        await check(pilot, tmp_path)
        await click_everything(pilot, tmp_path)
        dialog = app.screen
        for _ in range(5):  # every mode's options, incl. the "Attach to" picker of all VMs
            await pilot.press("down")
            await check(pilot, tmp_path)
        for select in dialog.query(Select):
            select.expanded = True
            await settle(pilot)
            await check(pilot, tmp_path)
            select.expanded = False
        modes = dialog.query_one("#modes", OptionList)  # the first possible mode's plan
        modes.focus()
        modes.highlighted = next(i for i, o in enumerate(modes.options) if not o.disabled)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, RestorePlanScreen))
        await check(pilot, tmp_path)
        plan = screen_as(app, RestorePlanScreen)
        if plan.plan.runnable:
            plan.query_one("#confirm", Input).value = plan.plan.confirm_text
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, RestoreProgressScreen))
            for _ in range(60):
                if app.restores[-1].finished:
                    break
                hostile_sim.clock.advance(30)
                await pilot.pause(0.05)
                await check(pilot, tmp_path)
            await pilot.press("escape")

        # A snapshot that runs to its end: the jobs panel, the toast, :jobs and its `y`.
        await back_to(pilot, next(s for s in app.screen_stack if isinstance(s, InstancesScreen)))
        three = next(v for v in state.vms.values() if v.name == HOSTILE["long"])
        await open_vm(pilot, app, three.id)
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, SnapshotDialog))
        await pilot.press("enter")
        tracker = app.tracker
        assert tracker is not None
        await until(pilot, lambda: tracker.jobs)
        await check(pilot, tmp_path)
        for _ in range(100):
            if all(j.done for j in tracker.jobs):
                break
            hostile_sim.clock.advance(20)
            await pilot.pause(0.05)
        await check(pilot, tmp_path)
        assert any("zero" in n.message for n in app._notifications)  # the volume's name
        app.jump_to("jobs")
        jobs = await loaded(pilot, JobsScreen)
        await click_everything(pilot, tmp_path)
        table = jobs.query_one(FastTable)
        # The stuck snapshot's diagnostic (first row), then our snapshot job's: both name
        # hostile things, and what `y` copies carries them in visible form only.
        for key in (table.model.row_at(0).key, tracker.jobs[0].jobid):
            table.move_cursor_to_key(key)
            app.copy_to_clipboard("")
            await pilot.press("i", "y")
            await settle(pilot)
            await check(pilot, tmp_path)
            copied = app.clipboard
            assert copied.startswith("atlas-tui") and ("␛" in copied or "⟨U+" in copied), copied
            assert not CONTROL.search(copied), repr(copied)
            await pilot.press("i")

        # The error and crash-recovery screens, with a hostile server text.
        app.push_screen(UnfinishedRestoreDialog(HOSTILE["unbalanced"] + HOSTILE["click_quit"]))
        await settle(pilot)
        await click_everything(pilot, tmp_path)
        await check(pilot, tmp_path)
        await pilot.press("escape")
        app.push_screen(ConnectErrorScreen(HOSTILE["unbalanced"], HOSTILE["markup"],
                                           HOSTILE["click_quit"], HOSTILE["unbalanced"]))
        await settle(pilot)
        await click_everything(pilot, tmp_path)
        await check(pilot, tmp_path)
        app.notify(HOSTILE["unbalanced"], title=HOSTILE["click_quit"], markup=False)
        await settle(pilot)
        alive(app)

