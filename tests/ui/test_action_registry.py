"""The registry of user actions (ui/actions.py) against what the app really does.

- Read-only: every write action of the registry is pressed where it applies; each says
  "read-only session", none is in the footer, and the simulator's own request log shows no
  write command at all (the list of write commands is read from the client's source).
- Mutation check: every registered action is pressed, its dialogs answered yes, in a session
  whose client refuses writes at its one gate (so the server stays the same for the next
  action); the actions that reached the gate are exactly those flagged `writes`.
- The palette lists this screen's verbs first; q quits on every screen; enter shows where
  it opens.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from textual.command import CommandList, CommandPalette
from textual.pilot import Pilot
from textual.screen import ModalScreen, Screen
from textual.worker import WorkerState

from atlas_tui.app import AtlasApp, Launch
from atlas_tui.cloud.api.client import CloudClient
from atlas_tui.cloud.private_files import state_path
from atlas_tui.settings import Settings
from atlas_tui.sim import SimServer
from atlas_tui.ui import actions as registry
from atlas_tui.ui.actions import READ_ONLY, UserAction
from atlas_tui.ui.palette import MORE
from atlas_tui.ui.screens.base import BrowseScreen, FilterBar
from atlas_tui.ui.screens.dialogs import SnapshotDialog, TypeToConfirm, VMSnapshotDialog
from atlas_tui.ui.screens.drills import DrillsScreen
from atlas_tui.ui.screens.help import HelpScreen
from atlas_tui.ui.screens.instances import InstancesScreen
from atlas_tui.ui.screens.jobs import JobsScreen
from atlas_tui.ui.screens.policies import PoliciesScreen
from atlas_tui.ui.screens.policy_form import FixConfirm, PolicyForm
from atlas_tui.ui.screens.prompts import JumpPrompt
from atlas_tui.ui.screens.protection import ProtectionScreen
from atlas_tui.ui.screens.quit import QuitDialog
from atlas_tui.ui.screens.restore import (
    RestoreModeDialog,
    RestorePlanScreen,
    UnfinishedRestoreDialog,
)
from atlas_tui.ui.screens.restores import PickDialog, RestoresScreen
from atlas_tui.ui.screens.snapshots import SnapshotsScreen
from atlas_tui.ui.screens.volumes import VolumesScreen
from atlas_tui.ui.widgets.table import FastTable
from tests.conftest import profile_for
from tests.ui.helpers import atlas_of, loaded, screen_text, session_of, until

# Every command the client can send that changes the cloud: each write method goes through
# `_write` or `_start` with the command's name as its first argument.
WRITE_COMMANDS = frozenset(re.findall(r'self\._(?:write|start)\(\s*"(\w+)"',
                                      inspect.getsource(CloudClient)))
KNOWN_WRITES = {"createSnapshot", "deleteSnapshot", "revertSnapshot", "createVMSnapshot",
                "deleteVMSnapshot", "revertToVMSnapshot", "createSnapshotPolicy",
                "deleteSnapshotPolicies", "createVolume", "attachVolume", "detachVolume",
                "deleteVolume", "updateVolume", "stopVirtualMachine", "startVirtualMachine",
                "createTemplate", "deployVirtualMachine"}
# What leaves the app: pressed in the quit test, not in the walks.
QUIT_IDS = {"quit", "quit-home"}
# Views that ask nothing (help, jump) and the offer of an unfinished restore ("later": its
# resume is gated at the App; `open` on the restores list only offers it).
LOOKING = (HelpScreen, JumpPrompt, UnfinishedRestoreDialog)
BUSY_GROUPS = {"action", "actions", "policy-change", "save", "drill", "restore", "load",
               "stuck-diagnostic"}


def app_for(sim: SimServer, **launch: Any) -> AtlasApp:
    return AtlasApp(Launch(**launch), profile=profile_for(sim), settings=Settings())


def test_the_write_list_has_every_write_of_the_client() -> None:
    assert KNOWN_WRITES <= WRITE_COMMANDS, KNOWN_WRITES - WRITE_COMMANDS


def test_every_registered_action_has_a_handler_and_one_id() -> None:
    ids = [a.id for a in registry.ACTIONS]
    assert len(ids) == len(set(ids))
    classes = {"instances": InstancesScreen, "volumes": VolumesScreen,
               "snapshots": SnapshotsScreen, "policies": PoliciesScreen,
               "protection": ProtectionScreen, "jobs": JobsScreen, "restores": RestoresScreen,
               "drills": DrillsScreen, "browse": BrowseScreen, "app": AtlasApp}
    for action in registry.ACTIONS:
        for scope in action.screens:
            assert hasattr(classes[scope], f"action_{action.name}"), (scope, action.id)


def test_the_readme_key_tables_name_every_key() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    shown = {"slash": "/", "question_mark": "?", "colon": ":", "escape": "esc"}
    for action in registry.ACTIONS:
        if action.id in ("switch-list", "protection-open"):
            continue  # told in words beside the keys they go with (tab, enter)
        key = action.keys.split(",")[0]
        assert f"`{shown.get(key, key)}`" in readme, action.id


# -- getting to each screen --------------------------------------------------------------


async def open_vm(pilot: Pilot, name: str) -> VolumesScreen:
    app = atlas_of(pilot)
    home = await loaded(pilot, InstancesScreen)
    vm = next(v for v in session_of(app).inventory.vms.values() if v.name == name)
    home.query_one(FastTable).move_cursor_to_key(vm.id)
    await pilot.press("enter")
    return await loaded(pilot, VolumesScreen)


async def home(pilot: Pilot) -> Screen:
    app = atlas_of(pilot)
    while len(app.screen_stack) > 2:
        app.pop_screen()
        await pilot.pause()
    screen = await loaded(pilot, InstancesScreen)
    await until(pilot, lambda: {"volumes", "snapshots"} <= session_of(app).inventory.loaded)
    return screen


async def to_volumes(pilot: Pilot) -> Screen:
    await home(pilot)
    return await open_vm(pilot, "app-01")  # it has a VM snapshot to revert or delete


async def to_snapshots(pilot: Pilot) -> Screen:
    await home(pilot)
    await open_vm(pilot, "hello-atlas")  # no VM snapshots: a restore can run
    await pilot.press("enter")
    return await loaded(pilot, SnapshotsScreen)


async def to_policies(pilot: Pilot) -> Screen:
    await home(pilot)
    await open_vm(pilot, "hello-atlas")
    await pilot.press("p")  # ROOT-42: the guide's policy, which f fixes
    return await loaded(pilot, PoliciesScreen)


async def jump(pilot: Pilot, words: str, kind: type[BrowseScreen]) -> Screen:
    await home(pilot)
    await pilot.press("colon", *words, "enter")
    return await loaded(pilot, kind)


async def to_jobs(pilot: Pilot) -> Screen:
    return await jump(pilot, "jobs", JobsScreen)


async def to_restores(pilot: Pilot) -> Screen:
    return await jump(pilot, "restore", RestoresScreen)


async def to_protection(pilot: Pilot) -> Screen:
    return await jump(pilot, "protection", ProtectionScreen)


async def to_drills(pilot: Pilot) -> Screen:
    await home(pilot)
    await pilot.press("T")
    return await loaded(pilot, DrillsScreen)


REACH: dict[str, Callable[[Pilot], Awaitable[Screen]]] = {
    "instances": home, "volumes": to_volumes, "snapshots": to_snapshots,
    "policies": to_policies, "jobs": to_jobs, "restores": to_restores,
    "protection": to_protection, "drills": to_drills,
}


def key_of(screen: Screen, action: UserAction) -> str:
    """The key bound to the action on this screen now (after any keymap)."""
    for _node, bindings in screen._modal_binding_chain:
        for key, binding in bindings:
            if binding.id == action.id:
                return key
    raise AssertionError(f"{action.id} is not bound on {type(screen).__name__}")


def server_writes(sim: SimServer) -> dict[str, int]:
    return {c: n for c, n in sim.state.calls.items() if c in WRITE_COMMANDS and n}


async def press_each_write(pilot: Pilot, scope: str, screen: Screen, pressed: set[str],
                           focus_vm_snapshots: bool = False) -> None:
    app = pilot.app
    for action in registry.ACTIONS:
        if not action.writes or scope not in action.screens:
            continue
        assert not screen.active_bindings[key_of(screen, action)].binding.show, \
            f"{action.id} is in the read-only footer of {scope}"
        app.clear_notifications()
        await pilot.press(key_of(screen, action))
        await until(pilot, lambda: app._notifications, what=f"a word on {action.id}")
        assert [n.message for n in app._notifications] == [READ_ONLY], (scope, action.id)
        assert app.screen is screen, f"{action.id} opened something on {scope}"
        pressed.add(f"{scope}:{action.id}")


async def test_read_only_refuses_every_write_action_and_sends_no_write(sim: SimServer) -> None:
    """Derived from the registry: each write action, pressed where it applies, says
    "read-only session", is not in the footer, and the server receives no write."""
    app = app_for(sim, read_only=True)
    pressed: set[str] = set()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        for scope in sorted({s for _s, a in registry.writes_everywhere() for s in a.screens}):
            screen = await REACH[scope](pilot)
            await press_each_write(pilot, scope, screen, pressed)
            if scope == "volumes":  # again with the VM snapshots list in focus
                await pilot.press("tab")
                await press_each_write(pilot, scope, screen, pressed)
        assert "READ-ONLY" in screen_text(app)
    assert pressed == {f"{s}:{a.id}" for s, a in registry.writes_everywhere()}
    assert sim.state.calls["listVirtualMachines"] > 0  # the log is the one the app talked to
    assert server_writes(sim) == {}


# -- the mutation check ---------------------------------------------------------------------


def refused_writes() -> list[str]:
    """The writes that reached the client's gate and were refused there (audit.jsonl)."""
    path = state_path() / "audit.jsonl"
    if not path.exists():
        return []
    lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [line["command"] for line in lines if line["outcome"].startswith("refused")]


def busy(app: AtlasApp) -> bool:
    return any(w.group in BUSY_GROUPS and w.state in (WorkerState.PENDING, WorkerState.RUNNING)
               for w in app.workers)


def asking(app: AtlasApp) -> bool:
    return isinstance(app.screen, ModalScreen | RestorePlanScreen)


async def answer_yes(pilot: Pilot) -> None:
    """Say yes to whatever the action asks, until it asks nothing more. A dialog this does
    not know fails the test: teach it the dialog rather than skip the action."""
    app = atlas_of(pilot)
    answered: set[int] = set()
    for _ in range(8):
        await until(pilot, lambda: asking(app) or not busy(app), what="the action to settle")
        await pilot.pause(0.05)
        top = app.screen
        if not asking(app):
            return
        if id(top) in answered or isinstance(top, LOOKING):
            # Asked again after a yes (the server refused: the form stays), or a view that
            # asks nothing: leave it.
            await pilot.press("escape")
        elif isinstance(top, SnapshotDialog | VMSnapshotDialog | RestoreModeDialog):
            await pilot.press("enter")
        elif isinstance(top, PickDialog):
            # The instance to restore: one without VM snapshots, so the plan can run.
            hello = next((i for i, o in enumerate(top.options) if "hello-atlas" in o[0]), 0)
            await pilot.press(*["down"] * hello, "enter")
        elif isinstance(top, TypeToConfirm):
            await pilot.press(*top.expected, "enter")
        elif isinstance(top, FixConfirm):
            await pilot.press("y")
        elif isinstance(top, PolicyForm):
            await pilot.press("ctrl+s")
        elif isinstance(top, RestorePlanScreen):
            await pilot.press(*top.plan.confirm_text, "enter")
        else:
            raise AssertionError(f"the test cannot answer {type(top).__name__}: teach answer_yes")
        answered.add(id(top))
        await pilot.pause(0.05)
    raise AssertionError("the action kept asking")


async def test_exactly_the_actions_flagged_writes_reach_the_write_gate(sim: SimServer) -> None:
    """Mutation check: removing a write action's `writes` flag, or adding an action that
    writes without it, fails here. Every registered action (but quitting) is pressed, its
    dialogs answered yes; the client refuses writes at its one gate, so the server stays as
    it was for the next action, and the gate's audit lines say which actions wrote."""
    app = app_for(sim)
    wrote: dict[str, bool] = {}
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await home(pilot)
        # A snapshot job for the jobs screen's retry (web-01: no other action uses it).
        async with CloudClient(profile_for(sim)) as other:
            volume = next(v for v in await other.volumes() if v.vmname == "web-01")
            started = await other.create_snapshot(volume.id, name="for-the-retry")
        assert app.tracker is not None and app.session is not None
        app.tracker.track(started, label="Snapshot web-01", target=volume.name,
                          resource=volume.id)
        app.session.client.read_only = True  # the UI goes on; the client's gate refuses
        common_done = False
        for scope, reach in REACH.items():
            screen = await reach(pilot)
            actions = [a for a in registry.ACTIONS if scope in a.screens]
            if not common_done:  # what every screen has, once, on the first screen
                actions += [a for a in registry.ACTIONS
                            if {"browse", "app"} & set(a.screens) and a.id not in QUIT_IDS]
                common_done = True
            # Those that leave the screen go last.
            actions.sort(key=lambda a: a.id in ("back", "open", "policies", "protection",
                                                "protection-open", "protection-policies"))
            for action in actions:
                if app.screen is not screen:
                    screen = await reach(pilot)
                if scope == "volumes" and action.id in ("revert-vm-snapshot", "delete"):
                    await pilot.press("tab")  # they act on the VM snapshots list
                if scope == "jobs":  # the retry acts on the selected snapshot job
                    screen.query_one(FastTable).move_cursor_to_key(started.jobid)
                before = len(refused_writes())
                await pilot.press(key_of(screen, action))
                await answer_yes(pilot)
                await until(pilot, lambda: not busy(app), what=f"{action.id} to end")
                wrote[f"{scope}:{action.id}"] = len(refused_writes()) > before
                if isinstance(app.screen.focused, FilterBar):
                    await pilot.press("escape")
                if scope == "volumes" and action.id in ("revert-vm-snapshot", "delete"):
                    await pilot.press("shift+tab")
    flagged = {f"{s}:{a.id}" for a in registry.ACTIONS if a.writes for s in a.screens}
    assert {k for k, w in wrote.items() if w} == flagged
    assert flagged <= wrote.keys()
    assert server_writes(sim) == {"createSnapshot": 1}  # the retry's job, made above


# -- palette, quit, enter ---------------------------------------------------------------------


def footer_words(app: AtlasApp) -> str:
    return re.sub(r"\s+", " ", screen_text(app))


def palette_lines(app: AtlasApp) -> list[str]:
    options = app.screen.query_one(CommandList)
    return [str(options.get_option_at_index(i).prompt).split("\n")[0]
            for i in range(options.option_count)]


async def test_palette_lists_this_screens_verbs_first_with_reasons(sim: SimServer) -> None:
    app = app_for(sim)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_vm(pilot, "hello-atlas")
        await pilot.press("ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await until(pilot, lambda: MORE in " ".join(palette_lines(app)), what="the palette")
        lines = palette_lines(app)
        own = [a.verb_on("volumes") for a in registry.ACTIONS if "volumes" in a.screens]
        assert [line.split("  — ")[0] for line in lines[:len(own)]] == own
        revert = next(line for line in lines if line.startswith("Revert to VM snap"))
        assert "not now: select a VM snapshot first" in revert
        assert lines[-1].startswith(MORE)  # Textual's own commands only behind it
        assert not any(line.startswith(("Theme", "Screenshot", "Maximize")) for line in lines)
        await pilot.press(*"theme")  # typed: ours first, Textual's still found
        await until(pilot, lambda: any(line.startswith("Theme") for line in palette_lines(app)))
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)
        await pilot.press("ctrl+p")
        await until(pilot, lambda: MORE in " ".join(palette_lines(app)), what="the palette")
        await pilot.press(*"More", "enter")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette)
                    and any(line.startswith("Theme") for line in palette_lines(app)),
                    what="Textual's commands")


async def test_q_quits_from_every_screen_and_the_footer_says_so(sim: SimServer) -> None:
    """With a job in flight q asks first (the quit dialog), so every screen can be tried."""
    app = app_for(sim)
    async with app.run_test(size=(120, 30)) as pilot:
        await home(pilot)
        async with CloudClient(profile_for(sim)) as other:
            volume = next(v for v in await other.volumes() if v.vmname == "web-01")
            started = await other.create_snapshot(volume.id, name="in-flight")
        assert app.tracker is not None
        app.tracker.track(started, label="Snapshot web-01", target=volume.name,
                          resource=volume.id)
        for scope, reach in REACH.items():
            screen = await reach(pilot)
            assert "q Quit" in footer_words(app), scope
            await pilot.press("q")
            await until(pilot, lambda: isinstance(app.screen, QuitDialog), what=scope)
            await pilot.press("escape")

            def back(s: Screen[Any] = screen) -> bool:
                return app.screen is s

            await until(pilot, back)
        await pilot.press("ctrl+q")  # the other quit key, still there
        await until(pilot, lambda: isinstance(app.screen, QuitDialog))


async def test_the_footer_shows_enter_where_it_opens(sim: SimServer) -> None:
    app = app_for(sim)
    async with app.run_test(size=(100, 30)) as pilot:
        await home(pilot)
        assert "enter Open" in footer_words(app)
        await open_vm(pilot, "hello-atlas")
        assert "enter Snapshots" in footer_words(app)
        await pilot.press("tab")  # a VM snapshot opens nothing: enter leaves the footer
        await pilot.pause()
        assert "enter Snapshots" not in footer_words(app)
