"""Actions driven with Pilot against the simulator: snapshots, VM snapshots, reverts,
deletes, with live progress from the App's job tracker. Results are checked on the server
through a separate client, never through the UI that made them.

The simulator's clock is frozen (speed 0): jobs move only when a test advances it, so
every state in between can be seen and asserted.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC
from typing import Any, TypeVar

from atlas_tui.app import AtlasApp, Launch
from atlas_tui.cloud.api.client import CloudClient
from atlas_tui.cloud.jobs import JobTracker
from atlas_tui.settings import Settings
from atlas_tui.sim import SimServer
from atlas_tui.ui.screens.dialogs import SnapshotDialog, TypeToConfirm, VMSnapshotDialog
from atlas_tui.ui.screens.instances import InstancesScreen
from atlas_tui.ui.screens.jobs import JobsScreen
from atlas_tui.ui.screens.snapshots import SnapshotsScreen
from atlas_tui.ui.screens.volumes import VolumesScreen
from atlas_tui.ui.widgets.jobs_panel import JobsPanel
from atlas_tui.ui.widgets.table import FastTable
from atlas_tui.ui.widgets.tick import Tick as Checkbox
from tests.conftest import profile_for
from tests.ui.helpers import cells, loaded, present, screen_as, screen_text, session_of, until


def app_for(sim: SimServer, **launch: Any) -> AtlasApp:
    app = AtlasApp(Launch(**launch), profile=profile_for(sim), settings=Settings())
    return app


def notes(app: AtlasApp) -> str:
    return "\n".join(f"{n.title}: {n.message}" for n in app._notifications)


async def open_vm(pilot, name: str) -> VolumesScreen:
    await loaded(pilot, InstancesScreen)
    await pilot.press("slash", *name, "enter", "enter")
    return await loaded(pilot, VolumesScreen)


async def snapshot_data_42(pilot, app: AtlasApp) -> JobTracker:
    """From hello-atlas's volumes: `s` on DATA-42, take the dialog's defaults, and wait
    until the App's tracker has the job."""
    await pilot.press("down", "s")
    await until(pilot, lambda: isinstance(app.screen, SnapshotDialog))
    await pilot.press("enter")
    tracker = app.tracker
    assert tracker is not None
    await until(pilot, lambda: tracker.jobs)
    return tracker


async def run_jobs(pilot, sim: SimServer, done: Callable[[], object],
                   step_s: float = 30, limit: int = 200) -> None:
    """Advance simulated time in steps until `done()`; the tracker polls in between."""
    for _ in range(limit):
        if done():
            return
        sim.clock.advance(step_s)
        await pilot.pause(0.05)
    raise AssertionError("jobs did not finish")

T = TypeVar("T")


async def server(sim: SimServer, read: Callable[[CloudClient], Awaitable[T]]) -> T:
    async with CloudClient(profile_for(sim)) as c:
        return await read(c)


async def test_snapshot_a_volume_with_live_progress(sim: SimServer) -> None:
    app = app_for(sim)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        volumes = await open_vm(pilot, "hello-atlas")
        await pilot.press("down", "s")
        await until(pilot, lambda: isinstance(app.screen, SnapshotDialog))
        assert "Atlas guide says: stop write activity" in screen_text(app)
        await pilot.press("enter")
        await until(pilot, lambda: app.tracker is not None and app.tracker.jobs)
        tracker = app.tracker
        assert tracker is not None
        [job] = tracker.jobs
        assert job.label == "Snapshot DATA-42" and job.state == "Allocated"
        panel = volumes.query_one(JobsPanel)
        await until(pilot, lambda: not panel.has_class("-empty"))
        assert "Snapshot DATA-42" in screen_text(app)
        # Small steps, so the tracker sees the states in between.
        await run_jobs(pilot, sim, lambda: job.done, step_s=3, limit=400)
        assert job.succeeded
        seen = [s.state for s in job.states]
        assert seen[0] == "Allocated" and seen[-1] == "BackedUp" and len(seen) >= 3
        await until(pilot, lambda: "Snapshot DATA-42" in notes(app))
        snaps = await server(sim, lambda c: c.snapshots(id=job.entity_id))
        [snap] = snaps
        assert snap.state == "BackedUp" and snap.name.startswith("hello-atlas-DATA-42-")


async def test_stop_snapshot_start_brings_the_vm_back(sim: SimServer) -> None:
    app = app_for(sim)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await open_vm(pilot, "hello-atlas")
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, SnapshotDialog))
        app.screen.query_one("#stop-first", Checkbox).value = True
        await pilot.press("enter")
        tracker = app.tracker
        assert tracker is not None
        await until(pilot, lambda: tracker.jobs)
        await run_jobs(pilot, sim, lambda: any(j.label == "Start hello-atlas" and j.done
                                               for j in tracker.jobs))
        labels = [j.label for j in reversed(tracker.jobs)]
        assert labels == ["Stop hello-atlas", "Snapshot ROOT-42", "Start hello-atlas"]
        assert all(j.succeeded for j in tracker.jobs)
        vm = await server(sim, lambda c: c.virtual_machines(name="hello-atlas"))
        assert vm[0].state == "Running"


async def test_all_volumes_of_an_instance_one_result_each(sim: SimServer) -> None:
    app = app_for(sim)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await loaded(pilot, InstancesScreen)
        await until(pilot, lambda: "volumes" in session_of(app).inventory.loaded)
        await pilot.press("slash", *"hello-atlas", "enter", "s")
        await until(pilot, lambda: isinstance(app.screen, SnapshotDialog))
        assert "Snapshot 2 volumes" in screen_text(app)
        await pilot.press("enter")
        tracker = app.tracker
        assert tracker is not None
        # One snapshot per VM at a time (a server rule): the second starts after the first.
        await until(pilot, lambda: tracker.jobs)
        assert len(tracker.jobs) == 1
        await run_jobs(pilot, sim, lambda: len(tracker.jobs) == 2 and tracker.jobs[0].done)
        assert {j.label for j in tracker.jobs} == {"Snapshot ROOT-42", "Snapshot DATA-42"}
        await until(pilot, lambda: "2 done" in notes(app))


async def test_kvm_snapshot_disabled_is_explained_and_nothing_is_sent(sim: SimServer) -> None:
    sim.settings["kvm.snapshot.enabled"] = "false"
    app = app_for(sim)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await open_vm(pilot, "hello-atlas")
        await pilot.press("s")
        await until(pilot, lambda: "kvm.snapshot.enabled off" in notes(app))
        assert not isinstance(app.screen, SnapshotDialog)
        assert sim.state.calls["createSnapshot"] == 0


async def test_failed_job_shows_the_server_text(sim: SimServer) -> None:
    sim.faults.parse("failjob:createSnapshot!Failed to create snapshot: secondary storage full")
    app = app_for(sim)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await open_vm(pilot, "hello-atlas")
        tracker = await snapshot_data_42(pilot, app)
        await run_jobs(pilot, sim, lambda: tracker.jobs[0].done)
        assert tracker.jobs[0].failed
        await until(pilot, lambda: "secondary storage full" in notes(app))
        await pilot.press("colon", *"jobs", "enter")
        jobs = await loaded(pilot, JobsScreen)
        # Below the demo's own stuck snapshot (DATA-46, Creating since 04:30: issue 11).
        table = jobs.query_one(FastTable)
        assert [r for r, by in zip(cells(table, "result"), cells(table, "by"), strict=True)
                if by == "you"] == ["Failed to create snapshot: secondary storage full"]
        assert "Traceback" not in screen_text(app)


async def test_stuck_snapshot_advice_diagnostic_and_retry(sim: SimServer) -> None:
    sim.faults.parse("stuck:snapshot=Creating")
    app = app_for(sim)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await open_vm(pilot, "hello-atlas")
        tracker = await snapshot_data_42(pilot, app)
        job = tracker.jobs[0]
        await run_jobs(pilot, sim, lambda: job.stuck, step_s=60)
        assert job.state == "Creating" and not job.done
        await pilot.press("colon", *"jobs", "enter")
        jobs = await loaded(pilot, JobsScreen)
        await pilot.pause(0.1)
        text = screen_text(app)
        assert "Stuck in Creating" in text and "Contact support" in text
        await pilot.press("y")
        assert job.jobid in app.clipboard and str(job.entity_id) in app.clipboard
        sent = sim.state.calls["createSnapshot"]
        data_42 = job.volume_id
        snaps_before = set(sim.state.snapshots)
        await pilot.press("R")
        # The retry re-issues the snapshot; the server refuses it while the stuck one holds
        # the volume (Snapshotting), and the app says so with the server's words.
        await until(pilot, lambda: "Retry snapshot of DATA-42" in notes(app))
        assert sim.state.calls["createSnapshot"] == sent + 1  # the server got the retry
        assert set(sim.state.snapshots) == snaps_before  # and made no snapshot of it
        assert data_42 and sim.state.volumes[data_42].state == "Snapshotting"
        assert "Retry snapshot of DATA-42: 0 of 1 done" in notes(app)
        assert "is not in Ready state but Snapshotting. Cannot take snapshot." in notes(app)
        assert jobs.is_current


async def test_throttling_and_a_dropped_poll_pause_without_losing_the_job(sim: SimServer) -> None:
    app = app_for(sim)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        volumes = await open_vm(pilot, "hello-atlas")
        tracker = await snapshot_data_42(pilot, app)
        sim.faults.parse("error:listAsyncJobs#1+*3@429!The given user has reached his/her "
                         "account api limit, please retry after [200] ms.;"
                         "drop:listSnapshots#1+*2")
        # The user sees the pause in the jobs panel while it lasts, with its reason (the
        # throttle's text or the dropped connection, whichever the panel met first).
        await until(pilot, lambda: "polling paused" in screen_text(app), what="the pause shown")
        shown = str(volumes.query_one(JobsPanel).render())
        assert "api limit" in shown or "Cannot reach the API" in shown
        await run_jobs(pilot, sim, lambda: tracker.jobs[0].done)
        assert tracker.jobs[0].succeeded and tracker.paused_reason is None
        assert "Traceback" not in screen_text(app)


async def test_vm_snapshot_and_revert_with_typed_confirmation(sim: SimServer) -> None:
    app = app_for(sim)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await open_vm(pilot, "hello-atlas")
        await pilot.press("v")
        await until(pilot, lambda: isinstance(app.screen, VMSnapshotDialog))
        await pilot.press("enter")
        tracker = app.tracker
        assert tracker is not None
        await until(pilot, lambda: tracker.jobs)
        await run_jobs(pilot, sim, lambda: tracker.jobs[0].done)
        assert tracker.jobs[0].succeeded
        vm_id = screen_as(app, VolumesScreen).vm.id
        made = await server(sim, lambda c: c.vm_snapshots(virtualmachineid=vm_id))
        # Named by the server's clock (weeks behind this machine's in the simulator).
        stamp = f"{sim.clock.now().astimezone(UTC):%Y%m%d}"
        assert next(s.displayname for s in made).startswith(f"hello-atlas-{stamp}-")

        await pilot.press("escape")
        screen = await open_vm(pilot, "app-01")
        await pilot.press("tab")
        table = screen.query_one("#vm-snapshots", FastTable)
        await until(pilot, lambda: table.cursor_key is not None)
        target = next(s for s in present(screen.detail).vm_snapshots
                      if s.displayname == "before-upgrade")
        table.move_cursor_to_key(target.id)
        await pilot.press("R")
        await until(pilot, lambda: isinstance(app.screen, TypeToConfirm))
        assert "will be" in screen_text(app) and "stopped first" in screen_text(app)
        await pilot.press("enter")  # nothing typed: nothing happens
        assert isinstance(app.screen, TypeToConfirm)
        before = len(tracker.jobs)
        await pilot.press(*"app-01", "enter")
        await until(pilot, lambda: len(tracker.jobs) > before)
        await run_jobs(pilot, sim, lambda: any(j.label == "Start app-01" and j.done
                                               for j in tracker.jobs))
        vm = (await server(sim, lambda c: c.virtual_machines(name="app-01")))[0]
        assert vm.state == "Running"
        current = [s for s in await server(sim, lambda c: c.vm_snapshots_of(vm.id))
                   if s.current]
        assert [s.displayname for s in current] == ["before-upgrade"]


async def test_delete_marked_snapshots_by_typing_the_count(sim: SimServer) -> None:
    app = app_for(sim)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await open_vm(pilot, "hello-atlas")
        await pilot.press("enter")
        screen = await loaded(pilot, SnapshotsScreen)
        table = screen.query_one(FastTable)
        before = table.row_count
        marked_names = cells(table, "name")[:2]
        await pilot.press("space", "down", "space", "D")
        await until(pilot, lambda: isinstance(app.screen, TypeToConfirm))
        await pilot.press(*"2", "enter")
        tracker = app.tracker
        assert tracker is not None
        await until(pilot, lambda: len(tracker.jobs) == 2)
        await run_jobs(pilot, sim, lambda: all(j.done for j in tracker.jobs))
        left = await server(sim, lambda c: c.snapshots_of(screen.volume.id))
        assert len(left) == before - 2
        assert not set(marked_names) & {s.name for s in left}


async def test_in_progress_snapshot_is_refused_before_any_call(sim: SimServer) -> None:
    app = app_for(sim)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await open_vm(pilot, "win-fileserver")
        await pilot.press("down", "enter")  # DATA-46, with its snapshot stuck in Creating
        screen = await loaded(pilot, SnapshotsScreen)
        table = screen.query_one(FastTable)
        stuck = next(s for s in screen.snapshots if s.state == "Creating")
        table.move_cursor_to_key(stuck.id)
        await pilot.press("D")
        await until(pilot, lambda: "in progress" in notes(app))
        assert not isinstance(app.screen, TypeToConfirm)
        assert sim.state.calls["deleteSnapshot"] == 0


async def test_quiesce_is_offered_only_where_the_server_says_it_can(sim: SimServer) -> None:
    """A regular account never gets a volume's `quiescevm` (QueryManagerImpl fills it with
    storageid, for root admins only): no quiesce for volume snapshots, even on VMware. A VM
    snapshot may quiesce a VMware VM (the VM's hypervisor is given to users), no other."""
    app = app_for(sim)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await open_vm(pilot, "vmw-reports")  # VMware
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, SnapshotDialog))
        assert not app.screen.query("#quiesce")
        await pilot.press("escape")
        await pilot.press("v")
        await until(pilot, lambda: isinstance(app.screen, VMSnapshotDialog))
        assert app.screen.query("#quiesce")
        await pilot.press("escape")
        await pilot.press("escape")
        await open_vm(pilot, "hello-atlas")  # KVM
        await pilot.press("v")
        await until(pilot, lambda: isinstance(app.screen, VMSnapshotDialog))
        assert not app.screen.query("#quiesce")
