"""The simulator against CloudStack's own source: one test per row of
``docs/fidelity.md`` (apache/cloudstack main of 2025-10-30, 4.22.0.0-SNAPSHOT; paths are
relative to that repository, line numbers approximate), then the older servers.

The default simulator answers as 4.22 answers a regular account (role User), the kind Atlas
customers have; ``role="admin"`` gives a root admin's full view.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest

from atlas_tui.cloud.api.client import CloudClient
from atlas_tui.cloud.api.errors import CloudError
from atlas_tui.sim import DEMO_API_KEY, DEMO_SECRET_KEY, SimServer
from atlas_tui.sim.commands import REGISTRY
from atlas_tui.sim.view import VERSIONS

from ..conftest import FAST_RETRY, profile_for
from .conftest import FIXED_START, Api

GENERIC = "Internal error executing command, please contact your system administrator"
ADMIN_ONLY_VOLUME_KEYS = {"hypervisor", "storage", "storageid", "storagetype", "path",
                          "physicalsize", "virtualsize", "quiescevm", "displayvolume"}


@asynccontextmanager
async def served(**kwargs: Any) -> AsyncIterator[Api]:
    kwargs.setdefault("seed", "demo")
    server = SimServer(speed=0, api_key=DEMO_API_KEY, secret_key=DEMO_SECRET_KEY,
                       start=FIXED_START, **kwargs)
    await server.start()
    try:
        async with aiohttp.ClientSession() as session:
            yield Api(server, session)
    finally:
        await server.stop()


@pytest.fixture
async def admin() -> AsyncIterator[Api]:
    async with served(role="admin") as api:
        yield api


async def offering(api: Api, name: str) -> dict[str, Any]:
    offerings = (await api.ok("listDiskOfferings"))["diskoffering"]
    return next(o for o in offerings if o["name"] == name)


async def new_volume(api: Api, name: str, zoneid: str) -> dict[str, Any]:
    small = await offering(api, "Small 5 GB")
    done = await api.run("createVolume", name=name, zoneid=zoneid, diskofferingid=small["id"])
    return done["jobresult"]["volume"]


# -- row 1 -------------------------------------------------------------------------------------


async def test_row1_quiescevm_is_never_true_for_a_user(api: Api, admin: Api) -> None:
    """server/src/main/java/com/cloud/api/query/QueryManagerImpl.java ~2575-2596 sets quiescevm
    only with storageid (root admins); CloudStackPrimaryDataStoreDriverImpl.java ~96 says FALSE."""
    user_vmw = await api.volume("ROOT-48")  # vmw-reports, VMware
    assert "quiescevm" not in user_vmw
    admin_vmw = await admin.volume("ROOT-48")
    assert admin_vmw["quiescevm"] is False


# -- row 2 -------------------------------------------------------------------------------------


async def test_row2_volume_storage_and_hypervisor_fields_are_admin_only(
        api: Api, admin: Api) -> None:
    """server/src/main/java/com/cloud/api/query/dao/VolumeJoinDaoImpl.java ~186, 206-229 and
    ViewResponseHelper.java ~316-319: filled in the Full (admin) view only, also in job results."""
    for vol in (await api.ok("listVolumes"))["volume"]:
        assert not ADMIN_ONLY_VOLUME_KEYS & set(vol), vol["name"]
        assert isinstance(vol["size"], int)
    db = await api.vm("db-01")
    made = await new_volume(api, "extra", db["zoneid"])
    attached = (await api.run("attachVolume", id=made["id"], virtualmachineid=db["id"]))
    assert not ADMIN_ONLY_VOLUME_KEYS & set(attached["jobresult"]["volume"])
    full = await admin.volume("ROOT-42")
    assert full["hypervisor"] == "KVM" and full["storagetype"] == "shared"
    assert {"storage", "storageid", "path", "physicalsize", "virtualsize"} <= set(full)
    # The VM's hypervisor is given to a user: the app reads it from there.
    assert (await api.vm("hello-atlas"))["hypervisor"] == "KVM"


# -- row 3 -------------------------------------------------------------------------------------


async def test_row3_no_date_header(api: Api) -> None:
    """client/src/main/java/org/apache/cloudstack/ServerDaemon.java ~195
    httpConfig.setSendDateHeader(false); a proxy may add one (SimServer(date_header=True))."""
    assert "Date" not in (await api.call("listZones")).headers
    async with served(seed="empty", date_header=True) as proxied:
        assert "Date" in (await proxied.call("listZones")).headers


# -- row 4 -------------------------------------------------------------------------------------


async def test_row4_rule_failures_inside_jobs_are_431(api: Api) -> None:
    """framework/jobs ApiAsyncJobDispatcher.java ~114-115: InvalidParameterValueException is
    431; a CloudRuntimeException (revert on a non-KVM volume, SnapshotManagerImpl.java ~401)
    stays 530."""
    app = await api.vm("app-01")  # has VM snapshots
    scratch = await api.volume("scratch-data")
    attach = await api.run("attachVolume", id=scratch["id"], virtualmachineid=app["id"])
    assert (attach["jobstatus"], attach["jobresultcode"]) == (2, 431)
    assert attach["jobresult"]["errorcode"] == 431
    xen = (await api.snapshots(volumeid=(await api.volume("ROOT-47"))["id"]))[0]
    revert = await api.run("revertSnapshot", id=xen["id"])
    assert (revert["jobstatus"], revert["jobresultcode"]) == (2, 530)
    hello = await api.vm("hello-atlas")
    started = await api.run("startVirtualMachine", id=hello["id"])
    assert started["jobresultcode"] == 431  # already running (row 8)


# -- row 5 -------------------------------------------------------------------------------------


async def test_row5_create_vm_snapshot_refusals_are_530_with_the_commands_prefix(api: Api) -> None:
    """api/.../command/user/vmsnapshot/CreateVMSnapshotCmd.java ~95 catches every
    CloudRuntimeException: 530 "Failed to create vm snapshot: " + message; texts from
    VMSnapshotManagerImpl.java ~357-421. A disk-only snapshot of a running KVM VM is a setting
    (sim.kvm.vmsnapshot.running.disk.refused): newer servers may take it."""
    app = await api.vm("app-01")
    refused = await api.call("createVMSnapshot", virtualmachineid=app["id"])
    assert refused.status == 530 and refused.inner["cserrorcode"] == 4250
    assert refused.inner["errortext"] == (
        f"Failed to create vm snapshot: No strategy was able to handle requested snapshot for VM "
        f"[{app['id']}]"
    )
    api.sim.settings["sim.kvm.vmsnapshot.running.disk.refused"] = "false"
    taken = await api.ok("createVMSnapshot", virtualmachineid=app["id"], name="disk-only")
    assert set(taken) == {"id", "jobid"}
    dup = await api.call("createVMSnapshot", virtualmachineid=app["id"], name="disk-only")
    assert dup.status == 530 and dup.inner["errortext"].startswith("Failed to create vm snapshot: ")


# -- row 6 -------------------------------------------------------------------------------------


async def test_row6_create_snapshot_runtime_refusals_read_generic_to_a_user(
        api: Api, admin: Api) -> None:
    """server/.../storage/snapshot/SnapshotManagerImpl.java ~1587, 1598, 1612 throw
    CloudRuntimeException: 530, and ApiServer.java ~700-726 shows a non-admin only the generic
    text; "other active snapshot tasks" (~1605) is 431 with its text."""
    for server in (api, admin):
        server.sim.settings["kvm.snapshot.enabled"] = "false"
    user = await api.call("createSnapshot", volumeid=(await api.volume("ROOT-42"))["id"])
    assert (user.status, user.inner["errortext"]) == (530, GENERIC)
    full = await admin.call("createSnapshot", volumeid=(await admin.volume("ROOT-42"))["id"])
    assert full.status == 530
    assert full.inner["errortext"].startswith("KVM Snapshot is not supported for Running VMs.")
    db_root, db_data = await api.volume("ROOT-44"), await api.volume("DATA-44")
    await api.ok("createSnapshot", volumeid=db_root["id"])
    busy = await api.call("createSnapshot", volumeid=db_data["id"])
    assert busy.status == 431 and busy.inner["errortext"].startswith(
        "There is other active snapshot tasks on the instance")


# -- row 7 -------------------------------------------------------------------------------------


async def test_row7_unknown_or_denied_command_is_432(api: Api) -> None:
    """plugins/acl/dynamic-role-based/.../DynamicRoleBasedAPIAccessChecker.java ~159
    (UnavailableCommandException); ApiServer.java ~1123-1125, 1613: 432 under errorresponse."""
    unknown = await api.call("listBananas")
    assert unknown.status == 432 and list(unknown.body) == ["errorresponse"]
    assert unknown.inner["errortext"].startswith(
        "The API [listBananas] does not exist or is not available for the account")
    api.sim.settings["sim.role.denied.apis"] = "listAsyncJobs"
    denied = await api.call("listAsyncJobs")
    assert denied.status == 432 and list(denied.body) == ["errorresponse"]
    assert "[listAsyncJobs]" in denied.inner["errortext"]
    assert (await api.call("listZones")).status == 200
    # A bad signature is still 401, whatever the command.
    forged = await api.raw(api_query_with_wrong_key(api, "listAsyncJobs"))
    assert forged.status == 401


def api_query_with_wrong_key(api: Api, command: str) -> str:
    from .signer import signed_query

    return signed_query(command, api.sim.api_key, "not-the-secret")


# -- row 8 -------------------------------------------------------------------------------------


async def test_row8_starting_a_running_vm_fails(api: Api) -> None:
    """server/src/main/java/com/cloud/vm/UserVmManagerImpl.java ~5696."""
    hello = await api.vm("hello-atlas")
    job = await api.run("startVirtualMachine", id=hello["id"])
    assert job["jobstatus"] == 2 and job["jobresult"] == {
        "errorcode": 431,
        "errortext": f"The virtual machine hello-atlas ({hello['id']}) is already running",
    }


# -- row 9 -------------------------------------------------------------------------------------


async def test_row9_device_3_is_reserved_on_every_hypervisor(api: Api) -> None:
    """server/.../storage/VolumeApiServiceImpl.java ~4950-4956: "deviceId should be 0,1,2,4-N"
    and "deviceId %d is used by vol %s on vm %s" (RuntimeExceptions: 530)."""
    db = await api.vm("db-01")  # KVM, ROOT-44 at 0 and DATA-44 at 1
    devices = []
    for name in ("x1", "x2"):
        vol = await new_volume(api, name, db["zoneid"])
        done = await api.run("attachVolume", id=vol["id"], virtualmachineid=db["id"])
        devices.append(done["jobresult"]["volume"]["deviceid"])
    assert devices == [2, 4]
    third = await new_volume(api, "x3", db["zoneid"])
    at3 = await api.run("attachVolume", id=third["id"], virtualmachineid=db["id"], deviceid=3)
    assert at3["jobresultcode"] == 530
    assert at3["jobresult"]["errortext"].startswith("deviceId should be 0,1,2,4-")


# -- row 10 ------------------------------------------------------------------------------------


async def test_row10_job_fields_only_on_the_jobs_own_resource_type(api: Api) -> None:
    """server/src/main/java/com/cloud/api/ApiServer.java ~880-895: ListVMSnapshotCmd has no
    resource type, so its entries never carry jobid; revert jobs are typed Snapshot/VmSnapshot,
    so volume and VM rows get none."""
    db = await api.vm("db-01")
    made = await api.ok("createVMSnapshot", virtualmachineid=db["id"], name="pending")
    [listed] = (await api.ok("listVMSnapshot", virtualmachineid=db["id"]))["vmSnapshot"]
    assert listed["id"] == made["id"] and "jobid" not in listed and "jobstatus" not in listed
    await api.finish(made["jobid"])
    await api.run("deleteVMSnapshot", vmsnapshotid=made["id"])
    root = await api.volume("ROOT-44")
    snap = next(s for s in await api.snapshots(volumeid=root["id"]) if s["state"] == "BackedUp")
    reverting = await api.ok("revertSnapshot", id=snap["id"])
    assert "jobid" not in await api.volume("ROOT-44")
    [row] = await api.snapshots(id=snap["id"])
    assert row["jobid"] == reverting["jobid"] and row["jobstatus"] == 0
    app = await api.vm("app-01")
    mem = next(s for s in (await api.ok("listVMSnapshot", virtualmachineid=app["id"]))
               ["vmSnapshot"] if s["type"] == "DiskAndMemory")
    await api.ok("revertToVMSnapshot", vmsnapshotid=mem["id"])
    assert "jobid" not in await api.vm("app-01")


# -- row 11 ------------------------------------------------------------------------------------


async def test_row11_snapshots_pass_through_created_on_primary(api: Api) -> None:
    """api/src/main/java/com/cloud/storage/Snapshot.java (Snapshot.State): Creating ->
    CreatedOnPrimary -> BackingUp -> BackedUp."""
    root = await api.volume("ROOT-44")
    made = await api.ok("createSnapshot", volumeid=root["id"])
    seen: list[str] = []
    for _ in range(400):
        [row] = await api.snapshots(id=made["id"])
        if not seen or seen[-1] != row["state"]:
            seen.append(row["state"])
        if row["state"] == "BackedUp":
            break
        api.sim.clock.advance(0.5)
    assert seen == ["Allocated", "Creating", "CreatedOnPrimary", "BackingUp", "BackedUp"]


# -- row 12 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
async def test_row12_vm_snapshot_texts_say_vm_on_every_version(version: str) -> None:
    """server/.../storage/VolumeApiServiceImpl.java ~2757 (attach), ~3080 (detach);
    server/.../vm/snapshot/VMSnapshotManagerImpl.java ~757 (one revert text).

    No version switch to "Instance" wording: Apache CloudStack's API texts say "VM" on main
    (4.22.0.0-SNAPSHOT); the 4.20 rename from VM to Instance was in the UI's labels. The
    "...please specify an Instance that does not have Instance Snapshots" texts found while
    checking are in a fork (d4m14ndx/cloudstack, ``VolumeAttachValidatorImpl.java``, a class
    split out of VolumeApiServiceImpl), not in any apache/cloudstack file the code index holds.
    The apache release tags could not be searched one by one here (the repository is too large
    to fetch), so every version keeps the VM wording."""
    async with served(server_version=version) as api:
        app = await api.vm("app-01")
        scratch = await api.volume("scratch-data")
        attach = await api.run("attachVolume", id=scratch["id"], virtualmachineid=app["id"])
        assert attach["jobresult"]["errortext"] == (
            f"Unable to attach volume to VM app-01/{app['id']}, please specify a VM that does "
            "not have VM snapshots")
        stopped = await api.run("stopVirtualMachine", id=app["id"])
        assert stopped["jobstatus"] == 1
        root = await api.volume("ROOT-45")
        detach = await api.run("detachVolume", id=root["id"])
        assert detach["jobresult"]["errortext"] == (
            "Unable to detach volume, please specify a VM that does not have VM snapshots")
        memory = next(s for s in (await api.ok("listVMSnapshot", virtualmachineid=app["id"]))
                      ["vmSnapshot"] if s["type"] == "DiskAndMemory")
        revert = await api.run("revertToVMSnapshot", vmsnapshotid=memory["id"])
        assert revert["jobresult"]["errortext"].startswith(
            "VM Snapshot revert not allowed. This will result in VM state change.")
        texts = [attach, detach, revert]
        assert not any("Instance" in t["jobresult"]["errortext"] for t in texts)


# -- row 13 ------------------------------------------------------------------------------------


async def test_row13_entities_in_texts_print_as_compact_json(api: Api) -> None:
    """engine/schema/.../storage/VolumeVO.java ~516 and SnapshotVO.java ~284: ``toString`` is a
    compact JSON of a few fields. Texts that embed the entity with ``%s``: attach's "deviceId %d
    is used by vol %s on vm %s" (VolumeApiServiceImpl.java ~4956); createVolume's "Snapshot %s
    is not in %s state yet..." and createSnapshot's "Volume: %s is not in %s state but %s..."
    (as read in a 2025 derivative of main that splits these classes out; the same calls with
    the SnapshotVO and VolumeVO). Texts that print a bare id on main stay so: createTemplate's
    "Snapshot id=<dbid>", createSnapshotPolicy's "VolumeId: <uuid>", and createSnapshot's job
    failure "...for volume <uuid>" (CreateSnapshotCmd prints getVolumeUuid())."""
    db = await api.vm("db-01")
    vol = await new_volume(api, "x1", db["zoneid"])
    clash = await api.run("attachVolume", id=vol["id"], virtualmachineid=db["id"], deviceid=1)
    text = clash["jobresult"]["errortext"]
    assert text.startswith('deviceId 1 is used by vol Volume {"id":')
    assert '"name":"DATA-44"' in text and f'"uuid":"{db["id"]}"' in text

    sim_vol = api.sim.state.volumes[vol["id"]]
    allocated = await api.call("createSnapshot", volumeid=vol["id"])  # never attached: Allocated
    volume_json = compact(id=sim_vol.dbid, instanceId=None, name="x1", uuid=vol["id"],
                          volumeType="DATADISK")
    assert allocated.status == 431 and allocated.inner["errortext"] == (
        f"Volume: Volume {volume_json} is not in Ready state but Allocated. Cannot take snapshot.")
    # The app keeps the server's text as it came (braces and quotes are plain text to it).
    async with CloudClient(profile_for(api.sim), retry=FAST_RETRY) as client:
        with pytest.raises(CloudError) as seen:
            await client.create_snapshot(vol["id"])
    assert seen.value.code == 431 and seen.value.text == allocated.inner["errortext"]

    root = await api.volume("ROOT-42")
    started = await api.ok("createSnapshot", volumeid=root["id"])  # not BackedUp yet
    sim_snap = api.sim.state.snapshots[started["id"]]
    early = await api.call("createVolume", snapshotid=started["id"], name="too-early")
    snapshot_json = compact(id=sim_snap.dbid, name=sim_snap.name, uuid=started["id"],
                            volumeId=api.sim.state.volumes[root["id"]].dbid)
    assert early.status == 431 and early.inner["errortext"] == (
        f"Snapshot Snapshot {snapshot_json} is not in BackedUp state yet and can't be used for "
        "volume creation")


def compact(**fields: object) -> str:
    """What ReflectionToStringBuilderUtils prints: the chosen fields as compact JSON."""
    return json.dumps(fields, separators=(",", ":"))


# -- row 14 ------------------------------------------------------------------------------------


async def test_row14_create_volume_checks_and_texts(api: Api) -> None:
    """server/.../storage/VolumeApiServiceImpl.java ~769, ~778, ~811, ~906."""
    hello = await api.vm("hello-atlas")
    neither = await api.call("createVolume", name="x", zoneid=hello["zoneid"])
    assert neither.status == 431 and neither.inner["errortext"] == (
        "At least one of disk Offering ID or snapshot ID must be passed whilst creating volume")
    data_snap = next(s for s in await api.snapshots(volumeid=(await api.volume("DATA-42"))["id"])
                     if s["state"] == "BackedUp")
    large = await offering(api, "Large 50 GB")
    with_offering = await api.call("createVolume", snapshotid=data_snap["id"],
                                   diskofferingid=large["id"])
    assert with_offering.inner["errortext"] == (
        "Disk Offering ID cannot be passed whilst creating volume from snapshot other than ROOT "
        "disk snapshots")
    fixed_size = await api.call("createVolume", name="x", zoneid=hello["zoneid"],
                                diskofferingid=large["id"], size=60)
    assert fixed_size.inner["errortext"] == "This disk offering does not allow custom size"
    custom = await offering(api, "Custom")
    negative = await api.call("createVolume", name="x", zoneid=hello["zoneid"],
                              diskofferingid=custom["id"], size=-1)
    assert negative.inner["errortext"].startswith("Invalid size for volume creation: ")


# -- row 15 ------------------------------------------------------------------------------------


async def test_row15_update_volume_checks_no_state(api: Api) -> None:
    """server/.../storage/VolumeApiServiceImpl.java updateVolume: no state check."""
    db_root = await api.volume("ROOT-44")
    await api.ok("createSnapshot", volumeid=db_root["id"])
    api.sim.clock.advance(3)
    assert (await api.volume("ROOT-44"))["state"] == "Snapshotting"
    assert (await api.run("updateVolume", id=db_root["id"], name="db-root"))["jobstatus"] == 1


# -- row 16 ------------------------------------------------------------------------------------


async def test_row16_delete_in_allocated(api: Api) -> None:
    """server/.../snapshot/DefaultSnapshotStrategy.java ~296-298 removes an Allocated snapshot;
    VMSnapshotManagerImpl.java ~631-632 refuses an Allocated VM snapshot."""
    root = await api.volume("ROOT-44")
    made = await api.ok("createSnapshot", volumeid=root["id"])
    assert (await api.snapshots(id=made["id"]))[0]["state"] == "Allocated"
    deleted = await api.run("deleteSnapshot", id=made["id"])
    assert deleted["jobresult"] == {"success": True}
    assert not await api.snapshots(id=made["id"])
    assert (await api.job(made["jobid"]))["jobstatus"] == 2  # its create job has nothing left
    db = await api.vm("db-01")
    vms = await api.ok("createVMSnapshot", virtualmachineid=db["id"], name="fresh")
    refused = await api.run("deleteVMSnapshot", vmsnapshotid=vms["id"])
    assert refused["jobresultcode"] == 431 and refused["jobresult"]["errortext"] == (
        f"Can't delete the vm snapshot {vms['id']} due to it is not in Created or Error, or "
        "Expunging State")


# -- row 17 ------------------------------------------------------------------------------------


async def test_row17_async_jobs_ascending_and_kept_until_they_expire(api: Api) -> None:
    """server/.../api/query/QueryManagerImpl.java ~3137 (ascending by id);
    framework/jobs AsyncJobManagerImpl.java ~980-1000 (removed after job.expire.minutes)."""
    ids = []
    for name in ("ROOT-44", "ROOT-47"):
        ids.append((await api.ok("createSnapshot", volumeid=(await api.volume(name))["id"]))
                   ["jobid"])
    listed = [j["jobid"] for j in (await api.ok("listAsyncJobs"))["asyncjobs"]]
    assert [j for j in listed if j in ids] == ids
    api.sim.clock.advance(23 * 3600)
    assert [(await api.job(j))["jobstatus"] for j in ids] == [1, 1]
    listed = [j["jobid"] for j in (await api.ok("listAsyncJobs"))["asyncjobs"]]
    assert set(ids) <= set(listed)  # finished a day ago: still listed
    api.sim.clock.advance(2 * 3600)
    listed = [j["jobid"] for j in (await api.ok("listAsyncJobs")).get("asyncjobs", [])]
    assert not set(ids) & set(listed)


# -- row 18 ------------------------------------------------------------------------------------


async def test_row18_small_keys(api: Api, admin: Api) -> None:
    """SnapshotJoinDaoImpl.java ~157-180 (no snapshottype/osdisplayname; ostypeid only while the
    ROOT volume is attached); fordisplay/displayvolume and VM arch in the Full view only;
    ApiDBUtils.java ~1716-1744 (policy zone and storage filled); no snapshotid on volumes or
    templates."""
    for snap in await api.snapshots():
        assert "snapshottype" not in snap and "osdisplayname" not in snap
    attached_root = (await api.snapshots(volumeid=(await api.volume("ROOT-42"))["id"]))[0]
    assert attached_root["ostypeid"]
    data = (await api.snapshots(volumeid=(await api.volume("DATA-42"))["id"]))[0]
    assert "ostypeid" not in data
    assert "arch" not in await api.vm("hello-atlas")
    assert (await admin.vm("hello-atlas"))["arch"] == "x86_64"
    [policy] = (await api.ok("listSnapshotPolicies",
                             volumeid=(await api.volume("ROOT-42"))["id"]))["snapshotpolicy"]
    assert "fordisplay" not in policy and policy["zone"] and policy["storage"]
    [admin_policy] = (await admin.ok("listSnapshotPolicies",
                                     volumeid=(await admin.volume("ROOT-42"))["id"]))[
        "snapshotpolicy"]
    assert admin_policy["fordisplay"] is True
    assert (await admin.volume("ROOT-42"))["displayvolume"] is True
    snap = next(s for s in await api.snapshots(volumeid=(await api.volume("ROOT-42"))["id"])
                if s["state"] == "BackedUp")
    made = await api.run("createVolume", snapshotid=snap["id"], name="r",
                         diskofferingid=(await offering(api, "Large 50 GB"))["id"])
    assert "snapshotid" not in made["jobresult"]["volume"]
    tpl = await api.run("createTemplate", snapshotid=snap["id"], name="t", displaytext="t",
                        ostypeid=snap["ostypeid"])
    assert "snapshotid" not in tpl["jobresult"]["template"]


async def test_row18_parameter_names_are_exact_case(api: Api) -> None:
    """server/.../api/dispatch/ParamProcessWorker.java ~193: ``params.get(
    parameterAnnotation.name())`` on the request's own map, whose names are ``ApiConstants``'
    lowercase ones; ``ApiServer.verifyRequest`` folds case only to check the signature. So
    ``virtualMachineId`` is an unknown parameter: ignored as a filter, missing when required."""
    app = await api.vm("app-01")
    every = (await api.ok("listVolumes"))["count"]
    own = (await api.ok("listVolumes", virtualmachineid=app["id"]))["count"]
    assert own < every
    assert (await api.ok("listVolumes", virtualMachineId=app["id"]))["count"] == every
    scratch = await api.volume("scratch-data")
    refused = await api.call("attachVolume", id=scratch["id"], virtualMachineId=app["id"])
    assert refused.status == 431 and refused.inner["errortext"] == (
        "Unable to execute API command attachvolume due to missing parameter virtualmachineid")
    assert (await api.volume("scratch-data")).get("virtualmachineid") is None


# -- older servers -----------------------------------------------------------------------------


async def test_before_4_20_snapshot_policies_need_a_volume() -> None:
    """ListSnapshotPoliciesCmd: volumeid required=true before 4.20."""
    async with served(server_version="4.18") as old:
        refused = await old.call("listSnapshotPolicies")
        assert refused.status == 431 and refused.inner["errortext"] == (
            "Unable to execute API command listsnapshotpolicies due to missing parameter volumeid")
        vol = await old.volume("ROOT-42")
        assert (await old.ok("listSnapshotPolicies", volumeid=vol["id"]))["count"] == 1
    async with served(server_version="4.22") as new:
        assert (await new.ok("listSnapshotPolicies"))["count"] > 1


async def test_before_4_18_snapshots_carry_only_size() -> None:
    async with served(server_version="4.15") as old:
        for snap in await old.snapshots():
            assert "virtualsize" not in snap and "physicalsize" not in snap
            assert isinstance(snap["size"], int)
        caps = (await old.ok("listCapabilities"))["capability"]
        assert caps["cloudstackversion"] == "4.15.0.0"
        xml = await old.session.get(f"{old.sim.endpoint}?" + xml_query(old))
        assert 'cloud-stack-version="4.15.0.0"' in await xml.text()


def xml_query(api: Api) -> str:
    from .signer import signed_query

    return signed_query("listZones", api.sim.api_key, api.sim.secret_key).replace(
        "response=json", "response=xml")


async def test_before_4_19_update_volume_ignores_name() -> None:
    async with served(server_version="4.18") as old:
        vol = await old.volume("ROOT-44")
        done = await old.run("updateVolume", id=vol["id"], name="renamed")
        assert done["jobstatus"] == 1 and done["jobresult"]["volume"]["name"] == "ROOT-44"


async def test_older_rate_limiter_text_has_no_brackets() -> None:
    """ApiRateLimitServiceImpl: "retry after [N] ms." since 4.20, "retry after N ms." before."""
    for version, bracket in (("4.15", False), ("4.22", True)):
        async with served(seed="empty", server_version=version,
                          faults="throttle=1/10s") as api:
            await api.call("listZones")
            limited = await api.call("listZones")
            assert limited.status == 429
            assert ("[" in limited.inner["errortext"]) is bracket
            assert "please retry after " in limited.inner["errortext"]


def test_unknown_role_or_version_is_refused() -> None:
    with pytest.raises(ValueError, match="role"):
        SimServer(seed="empty", role="root")
    with pytest.raises(ValueError, match="version"):
        SimServer(seed="empty", server_version="3.0")


# -- the simulator's own bugs ------------------------------------------------------------------


async def test_an_exception_in_a_handler_is_recorded(api: Api,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Answered as the server answers an unexpected error (530), and recorded so that the
    test during which it happened fails (tests/conftest.py checks every in-process sim)."""
    def broken(ctx: object) -> object:
        raise KeyError("a simulator bug")

    monkeypatch.setitem(REGISTRY, "listZones", broken)
    ans = await api.call("listZones")
    assert ans.status == 530 and ans.inner["errortext"] == GENERIC
    [(command, exc)] = api.sim.unexpected
    assert command == "listZones" and isinstance(exc, KeyError)
    api.sim.unexpected.clear()  # seen: this test is about it


async def test_root_admins_are_not_throttled() -> None:
    """plugins/api/rate-limit/.../ApiRateLimitServiceImpl.java: root admins are exempt."""
    limits = {"api.throttling.enabled": "true", "api.throttling.max": "1",
              "api.throttling.interval": "10"}
    for role, limited in (("user", True), ("admin", False)):
        async with served(seed="empty", role=role, settings=limits) as api:
            statuses = [(await api.call("listZones")).status for _ in range(3)]
            assert (429 in statuses) is limited, (role, statuses)
