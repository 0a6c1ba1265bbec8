"""Each kind of restore step on its own, against the simulator: sent, it changes what the
server holds; inspected afterwards, it says it is done (and before, what blocks it); its undo,
sent, puts the server back. Outcomes are read from the simulator's own state, not from the
app's reads."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from atlas_tui.cloud.api.client import CloudClient
from atlas_tui.cloud.api.models import JobStarted, SnapshotPolicy
from atlas_tui.cloud.restore import Look, Operation, operation_from_dict
from atlas_tui.cloud.restore.operations import (
    KINDS,
    AttachVolume,
    CreateSnapshotPolicy,
    CreateTemplate,
    CreateVolume,
    DeleteSnapshotPolicies,
    DeleteVmSnapshot,
    DeployVm,
    DetachVolume,
    RenameVolume,
    RevertSnapshot,
    StartVm,
    StopVm,
    UnknownOperation,
)

if TYPE_CHECKING:
    from atlas_tui.sim import SimServer
    from atlas_tui.sim.model import Vm as SimVm
    from atlas_tui.sim.model import Volume as SimVolume


async def apply(rc: CloudClient, op: Operation) -> str | None:
    """Send `op` and wait for its job; the id of what it made, if anything."""
    sent = await op.send(rc)
    if isinstance(sent, JobStarted):
        job = await rc.wait(sent.jobid, poll_s=0.02)
        assert job.succeeded, job.error_text
        return sent.entity_id
    if isinstance(sent, SnapshotPolicy):
        return sent.id
    return None


async def look(rc: CloudClient, op: Operation, *, mine: str = "", **rec: Any) -> Any:
    return await op.inspect(rc, Look(dict(rec), mine))


def vm_of(rsim: SimServer, name: str) -> SimVm:
    return next(v for v in rsim.state.vms.values() if v.name == name)


def volume_of(rsim: SimServer, name: str) -> SimVolume:
    return next(v for v in rsim.state.volumes.values() if v.name == name)


def backed_up_snapshot(rsim: SimServer, volume_name: str) -> Any:
    return next(s for s in reversed(rsim.state.snapshots.values())
                if s.volume.name == volume_name and s.state == "BackedUp")


async def test_stop_and_start_undo_each_other(rc: CloudClient, rsim: SimServer):
    vm = vm_of(rsim, "hello-atlas")
    stop = StopVm(vm.id)
    first = await look(rc, stop)
    assert not first.done and not first.blocked and not first.busy
    await apply(rc, stop)
    assert vm.state == "Stopped"
    assert (await look(rc, stop)).done
    start = stop.undo()
    assert start == StartVm(vm.id) and start.undo() == stop
    assert not (await look(rc, start)).done
    await apply(rc, start)
    assert vm.state == "Running"
    assert (await look(rc, start)).done and not (await look(rc, stop)).done


async def test_detach_and_reattach_the_root_at_device_0(rc: CloudClient, rsim: SimServer):
    vm = vm_of(rsim, "hello-atlas")
    root = next(v for v in vm.volumes if v.deviceid == 0)
    detach = DetachVolume(root.id, vm.id, 0)
    running = await look(rc, detach)
    assert running.blocked == "hello-atlas is Running, it must be Stopped"
    await apply(rc, StopVm(vm.id))
    assert not (await look(rc, detach)).blocked
    await apply(rc, detach)
    assert root.vm is None and root.deviceid is None
    assert (await look(rc, detach)).done
    assert (await look(rc, StartVm(vm.id))).blocked == "hello-atlas has no ROOT disk at device 0"
    attach = detach.undo()
    assert attach == AttachVolume(root.id, vm.id, 0) and attach.undo() == detach
    await apply(rc, attach)
    assert root.vm is vm and root.deviceid == 0
    assert (await look(rc, attach)).done and not (await look(rc, detach)).done


async def test_attach_at_the_next_free_device_and_detach(rc: CloudClient, rsim: SimServer):
    vm = vm_of(rsim, "web-01")
    scratch = volume_of(rsim, "scratch-data")
    attach = AttachVolume(scratch.id, vm.id)  # no device: the server picks the next free one
    assert "deviceid" not in attach.params
    assert not (await look(rc, attach)).blocked
    await apply(rc, attach)
    assert scratch.vm is vm and scratch.deviceid not in (None, 0)
    assert (await look(rc, attach)).done
    taken = AttachVolume(volume_of(rsim, "DATA-42").id, vm.id, scratch.deviceid)
    assert (await look(rc, taken)).blocked == "DATA-42 is attached to hello-atlas"
    detach = attach.undo()
    await apply(rc, detach)
    assert scratch.vm is None
    assert (await look(rc, detach)).done and not (await look(rc, attach)).done


async def test_rename_and_rename_back(rc: CloudClient, rsim: SimServer):
    data = volume_of(rsim, "DATA-42")
    rename = RenameVolume(data.id, "DATA-42-replaced", "DATA-42")
    assert not (await look(rc, rename)).done
    await apply(rc, rename)
    assert data.name == "DATA-42-replaced" and (await look(rc, rename)).done
    back = rename.undo()
    assert back == RenameVolume(data.id, "DATA-42", "DATA-42-replaced")
    await apply(rc, back)
    assert data.name == "DATA-42" and (await look(rc, back)).done
    assert RenameVolume(data.id, "x").undo() is None  # the old name unknown: no undo


async def test_create_volume_is_found_by_its_id_or_its_job_and_never_undone(
    rc: CloudClient, rsim: SimServer,
):
    snap = backed_up_snapshot(rsim, "DATA-42")
    create = CreateVolume(snap.id, "DATA-42-from-test")
    before = await look(rc, create)
    assert not before.done and not before.blocked and before.known == []
    made = await apply(rc, create)
    assert made is not None and rsim.state.volumes[made].source_snapshot_id == snap.id
    mine = await look(rc, create, mine=made)
    assert mine.done and mine.found == made
    # Its answer lost (sent, no id): the account's createVolume job names it.
    rec: dict[str, Any] = {"status": "running"}
    lost = await create.inspect(rc, Look(rec))
    assert lost.done and lost.found == made and rec["found_by"].startswith("job ")
    # Not sent yet, and a volume of that name exists: it is known, and not taken as ours.
    assert (await look(rc, create)).known == [made]
    assert create.undo("new_volume") is None  # the volume made is kept whatever happens
    # A deleted id is a 431 on the server, not an empty list: still read as "gone".
    [removed] = [v.id for v in rsim.state.removed_volumes.values() if v.name == "old-logs"]
    gone = await look(rc, CreateVolume(snap.id, "x"), mine=removed)
    assert gone.blocked == f"the volume this restore created ({removed}) is gone"


async def test_revert_needs_a_stopped_vm_and_cannot_be_undone(rc: CloudClient, rsim: SimServer):
    vm = vm_of(rsim, "hello-atlas")
    snap = backed_up_snapshot(rsim, "ROOT-42")
    revert = RevertSnapshot(snap.id)
    assert (await look(rc, revert)).blocked == "hello-atlas is Running, it must be Stopped"
    await apply(rc, StopVm(vm.id))
    assert not (await look(rc, revert)).blocked
    await apply(rc, revert)
    [job] = [j for j in rsim.state.jobs.values() if j.command == "revertSnapshot"]
    assert job.status == 1 and job.instance_id == snap.id
    # Nothing on the server says a revert happened: it never reads as done.
    assert not (await look(rc, revert)).done
    assert revert.undo() is None


async def test_delete_vm_snapshot_is_done_once_it_is_gone(rc: CloudClient, rsim: SimServer):
    vmsnap = next(s for s in rsim.state.vmsnapshots.values() if s.displayname == "before-upgrade")
    delete = DeleteVmSnapshot(vmsnap.id)
    assert not (await look(rc, delete)).done
    await apply(rc, delete)
    assert vmsnap.id not in rsim.state.vmsnapshots
    assert (await look(rc, delete)).done and delete.undo() is None


async def test_a_copied_policy_is_undone_by_deleting_what_it_made(
    rc: CloudClient, rsim: SimServer,
):
    scratch = volume_of(rsim, "scratch-data")
    copy = CreateSnapshotPolicy(scratch.id, "DAILY", "00:03", "UTC", 7)
    assert not (await look(rc, copy)).done
    made = await apply(rc, copy)
    assert made is not None and rsim.state.policies[made].volume is scratch
    seen = await look(rc, copy)
    assert seen.done and seen.found == made
    undo = copy.undo("policy_daily")
    assert undo == DeleteSnapshotPolicies("$policy_daily") and copy.undo() is None
    resolved = undo.resolve({"policy_daily": made})
    await apply(rc, resolved)
    assert made not in rsim.state.policies
    assert (await look(rc, resolved)).done and not (await look(rc, copy)).done


async def test_a_deleted_policy_is_undone_by_creating_it_again(rc: CloudClient, rsim: SimServer):
    root = volume_of(rsim, "ROOT-42")
    [old] = [p for p in rsim.state.policies.values() if p.volume is root]
    again = CreateSnapshotPolicy(root.id, "DAILY", old.schedule, old.timezone, old.maxsnaps)
    delete = DeleteSnapshotPolicies(old.id, again)
    await apply(rc, delete)
    assert not [p for p in rsim.state.policies.values() if p.volume is root]
    assert (await look(rc, delete)).done
    assert delete.undo() == again
    await apply(rc, again)
    [new] = [p for p in rsim.state.policies.values() if p.volume is root]
    assert (new.schedule, new.timezone, new.maxsnaps) == ("03:00", old.timezone, old.maxsnaps)
    assert (await look(rc, again)).done


async def test_template_then_vm_are_made_and_kept(rc: CloudClient, rsim: SimServer):
    snap = backed_up_snapshot(rsim, "ROOT-42")
    create = CreateTemplate(snap.id, "golden-from-test", snap.ostype.id,
                            displaytext="golden-from-test")
    assert not (await look(rc, create)).done
    template_id = await apply(rc, create)
    assert template_id is not None
    assert rsim.state.templates[template_id].source_snapshot is snap
    assert (await look(rc, create, mine=template_id)).done and create.undo() is None

    zone = next(z for z in rsim.state.zones.values() if z.name == "atlas-is1")
    offering = next(o for o in rsim.state.service_offerings.values()
                    if o.name == "Small Instance")
    deploy = DeployVm("$new_template", zone.id, offering.id, zone.networks[0].id,
                      "vm-from-test")
    assert (await look(rc, deploy)).blocked == ""
    resolved = deploy.resolve({"new_template": template_id})
    vm_id = await apply(rc, resolved)
    assert vm_id is not None and rsim.state.vms[vm_id].template.id == template_id
    assert rsim.state.vms[vm_id].state == "Running"
    assert (await look(rc, resolved, mine=vm_id)).done and deploy.undo() is None


def test_every_kind_has_a_test_here():
    tested = {StopVm, StartVm, DetachVolume, AttachVolume, RenameVolume, CreateVolume,
              RevertSnapshot, DeleteVmSnapshot, CreateSnapshotPolicy, DeleteSnapshotPolicies,
              CreateTemplate, DeployVm}
    assert set(KINDS.values()) == tested


@pytest.mark.parametrize("op", [
    CreateVolume("s", "n", "offering", 20, "z"), CreateVolume("s", "n"), StopVm("v"),
    StartVm("v"), DetachVolume("$new_volume"), DetachVolume("vol", "vm", 0),
    AttachVolume("vol", "vm"), AttachVolume("vol", "vm", 0), RenameVolume("vol", "new", "old"),
    RevertSnapshot("s"), DeleteVmSnapshot("vs"),
    CreateSnapshotPolicy("$new_volume", "DAILY", "00:03", "UTC", 7),
    DeleteSnapshotPolicies("$policy_daily"),
    DeleteSnapshotPolicies("p1", CreateSnapshotPolicy("vol", "HOURLY", "15", "UTC", 6)),
    CreateTemplate("s", "t", "os", displaytext="t"), DeployVm("$new_template", "z", "so"),
    DeployVm("t", "z", "so", "net", "name"),
], ids=lambda op: op.describe())
def test_the_journal_form_reads_back_the_same(op: Operation):
    assert operation_from_dict(op.to_dict()) == op
    assert op.to_dict()["params"] == op.params  # what the server is sent, by API name


def test_a_command_this_version_does_not_know_is_kept_and_refused():
    op = operation_from_dict({"command": "migrateVolume", "params": {"volumeid": "v"}})
    assert isinstance(op, UnknownOperation)
    assert op.describe() == "migrateVolume volumeid=v" and op.undo() is None
