"""One error path: a failure in any worker is a message saying what failed (with a hint) and
an entry in errors.log in the state dir; nothing vanishes, nothing quits the app. A bug
outside any worker (which Textual stops the app for) ends with a short message, its traceback
in errors.log, never on the terminal with its locals. Credentials in the endpoint never show;
the audit log's failure is said once.

The failures are made by patching a method the worker calls to raise: the thing under test
is what happens to the exception, not the cloud.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

import atlas_tui
from atlas_tui.app import AtlasApp, Launch
from atlas_tui.cloud.api.config import Profile
from atlas_tui.cloud.private_files import state_dir, state_path
from atlas_tui.settings import Settings
from atlas_tui.sim import SimServer
from atlas_tui.ui.screens.base import BrowseScreen
from atlas_tui.ui.screens.instances import InstancesScreen
from atlas_tui.ui.screens.start import ConnectErrorScreen
from atlas_tui.ui.widgets.chrome import Breadcrumbs
from atlas_tui.ui.worker_errors import ReportsWorkerErrors
from tests.conftest import profile_for
from tests.helpers import bound_port
from tests.ui.helpers import loaded, screen_text, until


def app_for(profile: Profile) -> AtlasApp:
    return AtlasApp(Launch(), profile=profile, settings=Settings())


def notes(app: AtlasApp) -> list[str]:
    return [f"{n.title}: {n.message}" for n in app._notifications]


def error_log() -> str:
    path = state_path() / "errors.log"
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def raising(text: str) -> Callable[..., Any]:
    async def boom(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError(text)

    return boom


async def test_a_screen_action_that_raises_is_reported_and_logged(
    sim: SimServer, monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = app_for(profile_for(sim))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, InstancesScreen)
        assert app.session is not None
        monkeypatch.setattr(app.session.client, "vm_snapshots_of", raising("boom in vm snaps"))
        await pilot.press("v")  # VM snapshot: its worker asks for the VM's VM snapshots first
        await until(pilot, lambda: any("boom in vm snaps" in n for n in notes(app)),
                    what="the failure's message")
        [message] = [n for n in notes(app) if "boom in vm snaps" in n]
        assert "VM snapshot failed: RuntimeError: boom in vm snaps" in message
        assert f"details in {state_dir() / 'errors.log'}" in message
        assert app.is_running and isinstance(app.screen, InstancesScreen)
    log = error_log()
    assert "VM snapshot: RuntimeError: boom in vm snaps" in log
    assert "Traceback" in log and "vm_snapshot_flow" in log  # for the developer


async def test_a_load_that_raises_leaves_the_app_running_and_can_be_retried(
    sim: SimServer, monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = app_for(profile_for(sim))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot, InstancesScreen)
        before = screen.updated
        with monkeypatch.context() as patch:
            patch.setattr(screen, "load", raising("bug in load"))
            await pilot.press("r")
            await until(pilot, lambda: any("bug in load" in n for n in notes(app)),
                        what="the load failure's message")
            assert app.is_running and app.screen is screen
            assert screen.query_one(Breadcrumbs).status == "load failed: r to retry"
        assert any("Loading this list failed: RuntimeError: bug in load" in n
                   for n in notes(app))
        await pilot.press("r")  # the bug gone, r loads again
        await until(pilot, lambda: screen.updated != before, what="the reload")
        assert screen.query_one(Breadcrumbs).status == ""
    assert "Loading this list: RuntimeError: bug in load" in error_log()


async def test_a_policy_save_that_raises_is_reported_and_the_form_says_not_saved(
    sim: SimServer, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.ui.test_policies import open_form, open_policies, type_into

    app = app_for(profile_for(sim))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_policies(pilot, "DATA-44")
        form = await open_form(pilot, "a")
        await pilot.press("h")
        await type_into(pilot, form, "minute", "45")
        assert app.session is not None
        monkeypatch.setattr(app.session.client, "create_snapshot_policy",
                            raising("bug in save"))
        await pilot.press("enter")
        await until(pilot, lambda: any("bug in save" in n for n in notes(app)),
                    what="the save failure's message")
        assert any("Saving the policy failed: RuntimeError: bug in save" in n
                   for n in notes(app))
        assert app.is_running and app.screen is form
        assert "Not saved" in screen_text(app)
    assert "Saving the policy: RuntimeError: bug in save" in error_log()


async def test_a_restore_that_raises_is_reported_and_logged(
    sim: SimServer, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from atlas_tui.cloud.restore import RestoreRunner, gather_context, plan_root_swap

    app = app_for(profile_for(sim))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, InstancesScreen)
        assert app.session is not None
        client = app.session.client
        vm = next(v for v in await client.virtual_machines() if v.name == "hello-atlas")
        root = next(v for v in await client.volumes_of(vm.id) if v.deviceid == 0)
        snap = next(s for s in await client.snapshots_of(root.id) if s.state == "BackedUp")
        plan = plan_root_swap(await gather_context(client, snap.id), move_policies=False)
        monkeypatch.setattr(RestoreRunner, "run", raising("bug in restore"))
        app.start_restore(plan)
        await until(pilot, lambda: any("bug in restore" in n for n in notes(app)),
                    what="the restore failure's message")
        [message] = [n for n in notes(app) if "bug in restore" in n]
        assert "Restore of hello-atlas" in message and "RuntimeError: bug in restore" in message
        assert f"details in {state_dir() / 'errors.log'}" in message
        assert app.is_running
    log = error_log()
    assert "Restore of hello-atlas: RuntimeError: bug in restore" in log and "Traceback" in log


async def test_a_failure_cloud_only_logs_reaches_the_error_log(sim: SimServer) -> None:
    """A job-tracker subscriber that raises is logged, not raised (it must not stop the
    polling of every job): that log line reaches errors.log instead of nowhere."""
    app = app_for(profile_for(sim))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, InstancesScreen)
        assert app.session is not None and app.tracker is not None

        def broken_view(_job: object) -> None:
            raise RuntimeError("bug in a job view")

        app.tracker.subscribe(broken_view)
        volume = next(iter(app.session.inventory.volumes.values()))
        started = await app.session.client.create_snapshot(volume.id, name="watched")
        app.tracker.track(started, label="watched", target=volume.name)
        await until(pilot, lambda: "bug in a job view" in error_log(), what="the log line")
        assert app.is_running
    log = error_log()
    assert "atlas_tui.cloud.jobs: job tracker subscriber failed" in log and "Traceback" in log


async def test_a_bug_while_connecting_shows_the_error_screen_and_r_retries(
    sim: SimServer, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from atlas_tui.cloud.session import Session

    real_open = Session.open
    monkeypatch.setattr(Session, "open", raising("bug in connect"))
    app = app_for(profile_for(sim))
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ConnectErrorScreen),
                    what="the connect error screen")
        await pilot.pause(0.1)
        assert "RuntimeError: bug in connect" in screen_text(app) and app.is_running
        assert any("Connecting failed: RuntimeError: bug in connect" in n for n in notes(app))
        monkeypatch.setattr(Session, "open", real_open)
        await pilot.press("r")
        await loaded(pilot, InstancesScreen)
    assert "Connecting: RuntimeError: bug in connect" in error_log()


# -- credentials in the endpoint ---------------------------------------------------------


@pytest.fixture
async def redirect_loop() -> AsyncIterator[str]:
    """A server that redirects every request to itself: aiohttp gives up with an error that
    quotes the full URL it asked for (query and all)."""

    async def again(request: web.Request) -> web.Response:
        raise web.HTTPFound(location=str(request.rel_url))

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", again)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = bound_port(site)
    yield f"127.0.0.1:{port}"
    await runner.cleanup()


async def test_endpoint_credentials_never_show_or_reach_a_file(redirect_loop: str) -> None:
    url = f"http://alice:hunter2@{redirect_loop}/client/api?token=T0KEN-123"
    profile = Profile(name="p", url=url, api_key="APIKEY-xyz", secret_key="SECRET-xyz",
                      source="test", timeout_s=10)
    app = app_for(profile)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ConnectErrorScreen), timeout=40,
                    what="the connect error")
        await pilot.pause(0.2)
        text = screen_text(app)
        # Usually "Cannot reach the API: ... url='...'" (the URL quoted, query and all); on a
        # loaded machine it may be the deadline instead. Either way: host shown, no secret.
        assert f"Cannot use profile p at {redirect_loop}" in text
    log = error_log()
    assert "Connecting to http://***@" in log and "token=***" in log
    files = "".join(p.read_text(errors="replace") for p in state_dir().rglob("*") if p.is_file())
    for secret in ("alice", "hunter2", "T0KEN-123", "APIKEY-xyz", "SECRET-xyz"):
        assert secret not in text and secret not in log and secret not in files, secret


# -- the audit log ------------------------------------------------------------------------


@pytest.mark.parametrize("blocked", ["audit file", "state dir"])
async def test_an_unwritable_audit_log_is_said_once(sim: SimServer, blocked: str) -> None:
    if blocked == "audit file":
        (state_dir() / "audit.jsonl").mkdir()  # a directory where the file should be
    else:
        state_path().parent.mkdir(parents=True, exist_ok=True)
        state_path().write_text("a file where the state directory should be")
    app = app_for(profile_for(sim))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, InstancesScreen)
        assert app.session is not None
        client = app.session.client
        # One volume per VM: the server refuses two snapshots at once on one VM.
        by_vm = {v.virtualmachineid: v for v in app.session.inventory.volumes.values()
                 if v.virtualmachineid}
        volumes = list(by_vm.values())[:3]
        for volume, name in zip(volumes, ("first", "second", "third"), strict=True):
            await client.create_snapshot(volume.id, name=name)
        await pilot.pause(0.1)
        said = [n for n in notes(app) if n.startswith("Audit log:")]
        assert len(said) == 1 and "Cannot write the audit log" in said[0]
        assert app.is_running
    # The writes themselves went through: the server has all three snapshots.
    names = {s.name for s in sim.state.snapshots.values()}
    assert {"first", "second", "third"} <= names
    if blocked == "audit file":
        assert error_log().count("Audit log: Cannot write the audit log") == 1


# -- every worker goes through the one path ---------------------------------------------------


def _worker_sites() -> list[tuple[str, str, ast.Call]]:
    """(module, class, call) for every `@work(...)` decorator and `run_worker(...)` call."""
    root = Path(atlas_tui.__file__).parent
    found: list[tuple[str, str, ast.Call]] = []
    for path in sorted(root.rglob("*.py")):
        if "sim" in path.relative_to(root).parts:
            continue
        module = "atlas_tui." + ".".join(path.relative_to(root).with_suffix("").parts)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
            for node in ast.walk(cls):
                if isinstance(node, ast.Call):
                    name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                    if name in ("work", "run_worker"):
                        found.append((module, cls.name, node))
    return found


def test_every_worker_reports_instead_of_vanishing_or_quitting() -> None:
    sites = _worker_sites()
    assert len(sites) > 10  # the scan sees the workers at all
    for module, cls_name, call in sites:
        where = f"{module}.{cls_name} line {call.lineno}"
        flags = {k.arg: k.value for k in call.keywords}
        value = flags.get("exit_on_error")
        # True would quit the app on a bug; False without a handler would lose the error.
        assert isinstance(value, ast.Constant) and value.value is False, where
        cls = getattr(importlib.import_module(module), cls_name)
        assert inspect.isclass(cls) and issubclass(cls, ReportsWorkerErrors), where
    assert issubclass(BrowseScreen, ReportsWorkerErrors) and issubclass(AtlasApp,
                                                                        ReportsWorkerErrors)


def test_work_labels_say_what_failed_in_the_users_words() -> None:
    from textual.binding import Binding

    class Screenish(ReportsWorkerErrors):
        BINDINGS = [Binding("v", "vm_snapshot", "VM snapshot")]  # noqa: RUF012
        WORK_LABELS = {"_send": "Saving the policy"}  # noqa: RUF012

    labels = Screenish()
    assert labels.work_label("action_vm_snapshot") == "VM snapshot"  # the key's description
    assert labels.work_label("_send") == "Saving the policy"
    assert labels.work_label("refresh_data") == "Refresh data"
    assert labels.work_label("Snapshot my_VM-01") == "Snapshot my_VM-01"  # a title: as given


async def test_a_bug_outside_a_worker_stops_the_app_with_a_message_and_no_locals(
    sim: SimServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    """An exception in a plain action (no worker to catch it) must stop the app (Textual has
    stopped the node that raised), but the terminal gets what happened and where the details
    are, not Textual's traceback with every frame's locals (a secret in a local would show);
    errors.log gets the traceback, with the secret redacted."""
    profile = profile_for(sim)
    secret = profile.secret_key

    def boom(self: InstancesScreen) -> None:
        secret_in_a_local = secret  # what a crash in the signing code would hold
        raise RuntimeError(f"boom in an action ({len(secret_in_a_local)})")

    monkeypatch.setattr(InstancesScreen, "action_protection", boom)
    app = app_for(profile)
    with pytest.raises(RuntimeError, match="boom in an action"):
        async with app.run_test(size=(80, 24)) as pilot:
            await loaded(pilot, InstancesScreen)
            await pilot.press("P")
            await pilot.pause(0.5)
    assert app.return_code == 1
    shown = " ".join(capsys.readouterr().err.split())  # what the terminal got, unwrapped
    assert "atlas-tui stopped on an unexpected error (a bug): RuntimeError: boom in an action" \
        in shown
    assert f"Details are in {state_dir() / 'errors.log'}." in shown
    assert "Traceback" not in shown
    assert secret not in shown and "secret_in_a_local" not in shown  # no locals
    log = error_log()
    assert "atlas-tui stopped: RuntimeError: boom in an action" in log
    assert "Traceback" in log and "boom" in log
    assert secret not in log
