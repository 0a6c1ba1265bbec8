"""`:restore` lists every earlier restore of this profile from the journals (after a restart
too) and starts a guided restore: a VM, then a snapshot, newest BackedUp first."""

from __future__ import annotations

import pytest
from textual.widgets import OptionList

from atlas_tui.cloud.api.client import CloudClient
from atlas_tui.cloud.restore.journal import Journal
from atlas_tui.cloud.restore.plan import gather_context, plan_attach, plan_root_swap
from atlas_tui.cloud.restore.runner import RestoreRunner
from atlas_tui.sim import SimServer
from atlas_tui.ui.screens.instances import InstancesScreen
from atlas_tui.ui.screens.restore import RestoreModeDialog
from atlas_tui.ui.screens.restores import PickDialog, RestoresScreen
from atlas_tui.ui.widgets.table import FastTable
from tests.conftest import profile_for
from tests.ui.helpers import cells, loaded, present, screen_as, screen_text, until
from tests.ui.test_restore_wizard import app_for


async def two_earlier_restores(sim: SimServer) -> tuple[str, str]:
    """A root swap rolled back by a failing start, then a file-level attach that worked;
    run by another process's runner before the app starts (as before a restart)."""
    sim.clock.speed = 2000
    async with CloudClient(profile_for(sim)) as c:
        [root] = await c.volumes(name="ROOT-42")
        snap = next(s for s in await c.snapshots_of(root.id) if s.backed_up)
        sim.faults.parse("failjob:startVirtualMachine")
        swap = await RestoreRunner(c, plan_root_swap(await gather_context(c, snap.id)),
                                   poll_s=0.02, settle_s=0.5).run()
        sim.faults.clear()
        [data] = await c.volumes(name="DATA-42")
        dsnap = next(s for s in await c.snapshots_of(data.id) if s.backed_up)
        attach = await RestoreRunner(c, plan_attach(await gather_context(c, dsnap.id)),
                                     poll_s=0.02, settle_s=0.5).run()
    sim.clock.speed = 0
    assert swap.status == "rolled-back" and attach.succeeded
    return swap.kept[0].name, attach.kept[0].name


async def test_history_after_a_restart_lists_the_earlier_restores(sim: SimServer) -> None:
    swap_volume, attach_volume = await two_earlier_restores(sim)
    assert len(list(Journal.unfinished())) == 0
    app = app_for(sim)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot, InstancesScreen)
        await pilot.press("colon", *"restore", "enter")
        screen = await loaded(pilot, RestoresScreen)
        table = screen.query_one("#restores", FastTable)
        await until(pilot, lambda: table.row_count == 2)
        assert cells(table, "outcome") == ["restored", "rolled back"]  # newest first
        assert cells(table, "mode") == ["attach", "root-swap"]
        assert cells(table, "vm") == ["hello-atlas", "hello-atlas"]
        kept = cells(table, "kept")
        assert attach_volume in kept[0] and "attached to hello-atlas at device" in kept[0]
        assert swap_volume in kept[1] and "detached" in kept[1]
        await pilot.press("down")
        await pilot.pause()
        assert "The server said: " in screen_text(app)
    # What the history says kept is still there, where it says, on the server.
    vols = {v.name: v for v in sim.state.volumes.values()}
    assert vols[swap_volume].vm is None
    attached_to = vols[attach_volume].vm
    assert attached_to is not None and attached_to.name == "hello-atlas"


async def test_a_guided_restore_starts_from_the_history(sim: SimServer) -> None:
    app = app_for(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, InstancesScreen)
        await pilot.press("colon", *"restore", "enter")
        await loaded(pilot, RestoresScreen)
        assert "no restores yet" in screen_text(app)
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, PickDialog))
        vms = app.screen.query_one("#pick", OptionList)
        index = next(i for i, o in enumerate(vms.options)
                     if str(o.prompt).startswith("hello-atlas "))
        vms.highlighted = index
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, PickDialog)
                    and "snapshot" in app.screen.title_text)
        picks = app.screen.query_one("#pick", OptionList).options
        states = [str(o.prompt).split(" · ")[3].split("  ")[0] for o in picks]
        backed = [o for o in picks if not o.disabled]
        assert states[:len(backed)] == ["BackedUp"] * len(backed)  # BackedUp first
        snaps = {s.id: s for s in sim.state.snapshots.values()}
        created = [snaps[present(o.id)].created for o in backed]
        assert created == sorted(created, reverse=True)  # newest first
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, RestoreModeDialog))
        facts = screen_as(app, RestoreModeDialog).facts
        assert facts.snapshot == snaps[present(backed[0].id)].name


async def test_jobs_after_a_restart_shows_the_server_jobs_and_the_audit_log(
    sim: SimServer,
) -> None:
    from atlas_tui.cloud.api.errors import CloudError
    from atlas_tui.cloud.audit import AuditLog
    from atlas_tui.cloud.private_files import state_dir
    from atlas_tui.ui.screens.jobs import JobsScreen

    # "Before the restart": a snapshot taken and a refused call, through an audited client
    # as the app makes them.
    audit = AuditLog(state_dir() / "audit.jsonl", "demo")
    async with CloudClient(profile_for(sim), audit=audit) as c:
        [data] = await c.volumes(name="DATA-42")
        started = await c.create_snapshot(data.id, name="before-restart")
        with pytest.raises(CloudError):
            await c.rename_volume("no-such-volume", "x")
    sim.clock.advance(900)  # the snapshot's job ends before the app starts again
    app = app_for(sim)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot, InstancesScreen)
        await pilot.press("colon", *"jobs", "enter")
        screen = await loaded(pilot, JobsScreen)
        table = screen.query_one("#jobs", FastTable)
        await until(pilot, lambda: table.row_count >= 2)
        labels, by = cells(table, "label"), cells(table, "by")
        rows = list(zip(labels, by, strict=True))
        # The server's job (listAsyncJobs) for the snapshot, once, not again from the log.
        assert [r for r in rows if r[0].startswith("Snapshot") and "DATA-46" not in r[0]] == [
            (f"Snapshot {started.entity_id[:8] if started.entity_id else ''}".strip(),
             "account")], rows
        assert ("Update volume x", "log") in rows, rows  # refused: only the log knows it
        assert "no jobs yet" not in screen_text(app)
