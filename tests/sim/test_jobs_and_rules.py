"""Async jobs on the simulated clock, and the server rules operators hit, with exact texts.

After every refused request the state is checked to be unchanged.
"""

from __future__ import annotations

from atlas_tui.sim import SimServer

from .conftest import Api


async def test_create_snapshot_job_lifecycle(api: Api) -> None:
    vol = await api.volume("ROOT-42")
    reply = await api.ok("createSnapshot", volumeid=vol["id"])
    assert set(reply) == {"id", "jobid"}
    [snap] = await api.snapshots(id=reply["id"])
    assert snap["state"] == "Allocated" and snap["jobstatus"] == 0
    assert snap["intervaltype"] == "MANUAL" and snap["name"].startswith("hello-atlas_ROOT-42_")
    pending = await api.job(reply["jobid"])
    assert pending["jobstatus"] == 0 and "jobresult" not in pending and "completed" not in pending
    assert pending["cmd"] == "org.apache.cloudstack.api.command.user.snapshot.CreateSnapshotCmd"
    assert pending["jobinstancetype"] == "Snapshot" and pending["jobinstanceid"] == reply["id"]
    for key in ("accountid", "account", "domainid", "domainpath", "userid", "created"):
        assert key in pending
    api.sim.clock.advance(3)
    assert (await api.snapshots(id=reply["id"]))[0]["state"] == "Creating"
    assert (await api.volume("ROOT-42"))["state"] == "Snapshotting"
    done = await api.finish(reply["jobid"])
    assert done["jobstatus"] == 1 and done["jobresultcode"] == 0
    assert done["jobresulttype"] == "object" and "completed" in done
    result = done["jobresult"]["snapshot"]
    assert result["state"] == "BackedUp" and 0 < result["physicalsize"] < result["virtualsize"]
    assert result["revertable"] is True
    listed = await api.ok("listAsyncJobs")
    mine = [j for j in listed["asyncjobs"] if j["jobid"] == reply["jobid"]]
    assert mine and mine[0]["jobstatus"] == 1


async def test_only_backed_up_snapshots_become_volumes_or_templates(api: Api) -> None:
    vol = await api.volume("ROOT-42")
    reply = await api.ok("createSnapshot", volumeid=vol["id"])
    volumes_before = (await api.ok("listVolumes"))["count"]
    ans = await api.call("createVolume", snapshotid=reply["id"], name="too-early")
    assert ans.status == 431
    assert (
        "is not in BackedUp state yet and can't be used for volume creation"
        in (ans.inner["errortext"])
    )
    ostype = (await api.ok("listOsTypes"))["ostype"][0]["id"]
    tpl = await api.call("createTemplate", snapshotid=reply["id"], name="t", ostypeid=ostype)
    assert tpl.status == 431 and "is not in BackedUp state yet" in tpl.inner["errortext"]
    assert (await api.ok("listVolumes"))["count"] == volumes_before


async def test_one_snapshot_job_per_vm_and_vm_snapshot_exclusion(api: Api) -> None:
    root, data = await api.volume("ROOT-42"), await api.volume("DATA-42")
    await api.ok("createSnapshot", volumeid=root["id"])
    count = len(await api.snapshots())
    ans = await api.call("createSnapshot", volumeid=data["id"])
    assert ans.status == 431 and ans.inner["errortext"] == (
        "There is other active snapshot tasks on the instance to which the volume is attached, "
        "please try again later"
    )
    vm = await api.vm("hello-atlas")
    vms = await api.call("createVMSnapshot", virtualmachineid=vm["id"], snapshotmemory=True)
    assert vms.status == 530 and "other active volume snapshot tasks" in vms.inner["errortext"]
    assert len(await api.snapshots()) == count


async def test_kvm_snapshot_setting(api: Api) -> None:
    api.sim.settings["kvm.snapshot.enabled"] = "false"
    caps = (await api.ok("listCapabilities"))["capability"]
    assert caps["kvmsnapshotenabled"] is False and caps["cloudstackversion"] == "4.22.0.0"
    ans = await api.call("createSnapshot", volumeid=(await api.volume("ROOT-42"))["id"])
    assert ans.status == 530 and ans.inner["cserrorcode"] == 4250
    # a CloudRuntimeException: a regular account reads only the generic text (ApiServer.java)
    assert ans.inner["errortext"] == (
        "Internal error executing command, please contact your system administrator"
    )
    # a stopped KVM VM may still be snapshotted
    assert (
        await api.call("createSnapshot", volumeid=(await api.volume("ROOT-44"))["id"])
    ).status == 200


async def test_root_swap_rules(api: Api) -> None:
    hello = await api.vm("hello-atlas")
    root = await api.volume("ROOT-42")
    running = await api.run("detachVolume", id=root["id"])
    assert running["jobstatus"] == 2 and running["jobresultcode"] == 431
    assert running["jobresult"] == {
        "errorcode": 431,
        "errortext": (
            "Root volume detach can happen only when vm is in states: Stopped or Destroyed"
        ),
    }
    assert (await api.volume("ROOT-42"))["virtualmachineid"] == hello["id"]

    # restore path: volume from a BackedUp ROOT snapshot, stop, detach, attach at 0, start
    snap = next(s for s in await api.snapshots(volumeid=root["id"]) if s["state"] == "BackedUp")
    small = next(
        o for o in (await api.ok("listDiskOfferings"))["diskoffering"] if o["name"] == "Small 5 GB"
    )
    too_small = await api.call("createVolume", snapshotid=snap["id"], diskofferingid=small["id"])
    assert too_small.status == 431
    made = await api.run("createVolume", snapshotid=snap["id"], name="ROOT-42-restored")
    new = made["jobresult"]["volume"]
    assert new["type"] == "DATADISK" and new["state"] == "Ready" and "snapshotid" not in new
    await api.run("stopVirtualMachine", id=hello["id"])
    assert (await api.vm("hello-atlas"))["state"] == "Stopped"
    twice = await api.run("attachVolume", id=new["id"], virtualmachineid=hello["id"], deviceid=0)
    assert twice["jobresult"]["errortext"] == "Vm already has root volume attached to it"
    detached = await api.run("detachVolume", id=root["id"])
    assert detached["jobstatus"] == 1
    old = detached["jobresult"]["volume"]
    assert old["type"] == "DATADISK" and "virtualmachineid" not in old
    no_root = await api.run("startVirtualMachine", id=hello["id"])
    assert no_root["jobstatus"] == 2 and "no ROOT volume" in no_root["jobresult"]["errortext"]
    attached = await api.run("attachVolume", id=new["id"], virtualmachineid=hello["id"], deviceid=0)
    vol = attached["jobresult"]["volume"]
    assert vol["type"] == "ROOT" and vol["deviceid"] == 0
    started = await api.run("startVirtualMachine", id=hello["id"])
    assert started["jobresult"]["virtualmachine"]["state"] == "Running"
    # snapshots of the old root remain and its policies stay with the old volume id
    assert await api.snapshots(volumeid=root["id"])
    assert (await api.ok("listSnapshotPolicies", volumeid=root["id"]))["count"] == 1


async def test_attach_without_device_picks_next_free_and_xen_skips_3(api: Api) -> None:
    win = await api.vm("win-fileserver")
    scratch_ids = []
    for name in ("x1", "x2"):
        made = await api.run(
            "createVolume",
            name=name,
            zoneid=win["zoneid"],
            diskofferingid=next(
                o["id"]
                for o in (await api.ok("listDiskOfferings"))["diskoffering"]
                if o["disksize"] == 5
            ),
        )
        scratch_ids.append(made["jobresult"]["volume"]["id"])
    devices = []
    for vid in scratch_ids:
        done = await api.run("attachVolume", id=vid, virtualmachineid=win["id"])
        devices.append(done["jobresult"]["volume"]["deviceid"])
    assert devices == [2, 4]


async def test_vm_snapshots_block_attach_detach_and_revert(api: Api) -> None:
    app = await api.vm("app-01")
    root = await api.volume("ROOT-45")
    scratch = await api.volume("scratch-data")
    attach = await api.run("attachVolume", id=scratch["id"], virtualmachineid=app["id"])
    assert attach["jobresult"]["errortext"] == (
        f"Unable to attach volume to VM app-01/{app['id']}, please specify a VM that does not "
        "have VM snapshots"
    )
    await api.run("stopVirtualMachine", id=app["id"])
    detach = await api.run("detachVolume", id=root["id"])
    assert detach["jobresult"]["errortext"] == (
        "Unable to detach volume, please specify a VM that does not have VM snapshots"
    )
    snap = (await api.snapshots(volumeid=root["id"]))[0]
    revert = await api.run("revertSnapshot", id=snap["id"])
    assert revert["jobresult"]["errortext"] == (
        "Unable to revert snapshot for VM, please remove VM snapshots before reverting VM from "
        "snapshot"
    )
    assert "virtualmachineid" not in await api.volume("scratch-data")


async def test_revert_snapshot_rules(api: Api) -> None:
    root = await api.volume("ROOT-42")
    snap = next(s for s in await api.snapshots(volumeid=root["id"]) if s["state"] == "BackedUp")
    running = await api.run("revertSnapshot", id=snap["id"])
    assert running["jobresult"]["errortext"] == (
        "The VM the specified disk is attached to is not in the shutdown state."
    )
    xen = await api.snapshots(volumeid=(await api.volume("ROOT-47"))["id"])
    assert xen[0]["revertable"] is False
    refused = await api.run("revertSnapshot", id=xen[0]["id"])
    assert refused["jobresult"]["errortext"].startswith(
        "Revert snapshot command failed for snapshot"
    )
    assert refused["jobresult"]["errortext"].endswith("supported only for KVM hypervisor")
    db_root = await api.volume("ROOT-44")
    good = next(s for s in await api.snapshots(volumeid=db_root["id"]) if s["state"] == "BackedUp")
    ok = await api.run("revertSnapshot", id=good["id"])
    assert ok["jobstatus"] == 1 and ok["jobresult"]["snapshot"]["id"] == good["id"]


async def test_delete_snapshot_rules(api: Api) -> None:
    stuck = next(s for s in await api.snapshots() if s["state"] == "Creating")
    job = await api.run("deleteSnapshot", id=stuck["id"])
    assert job["jobstatus"] == 2
    assert job["jobresult"]["errortext"].startswith("Can't delete snapshot ")
    assert job["jobresult"]["errortext"].endswith(" due to it is in Creating Status")
    assert (await api.snapshots(id=stuck["id"]))[0]["state"] == "Creating"
    error_snap = next(s for s in await api.snapshots() if s["state"] == "Error")
    assert (await api.run("deleteSnapshot", id=error_snap["id"]))["jobresult"] == {"success": True}
    assert not await api.snapshots(id=error_snap["id"])
    again = await api.run("deleteSnapshot", id=error_snap["id"])
    assert again["jobresult"]["errortext"] == (
        f"Snapshot with id: {error_snap['id']} is already destroyed"
    )


async def test_vm_snapshot_rules(api: Api) -> None:
    app = await api.vm("app-01")
    disk = await api.call("createVMSnapshot", virtualmachineid=app["id"])
    assert disk.status == 530 and disk.inner["errortext"] == (
        f"Failed to create vm snapshot: No strategy was able to handle requested snapshot for VM "
        f"[{app['id']}]"
    )
    listed = await api.ok("listVMSnapshot", virtualmachineid=app["id"])
    assert "vmSnapshot" in listed and listed["count"] == 2
    by_name = {s["displayname"]: s for s in listed["vmSnapshot"]}
    running_disk = await api.run("revertToVMSnapshot", vmsnapshotid=by_name["before-upgrade"]["id"])
    assert running_disk["jobresult"]["errortext"].startswith("VM Snapshot revert not allowed.")
    mem = await api.run("revertToVMSnapshot", vmsnapshotid=by_name["pre-kernel-update"]["id"])
    assert mem["jobstatus"] == 1 and "virtualmachine" in mem["jobresult"]
    await api.run("stopVirtualMachine", id=app["id"])
    stopped_mem = await api.run(
        "revertToVMSnapshot", vmsnapshotid=by_name["pre-kernel-update"]["id"]
    )
    assert stopped_mem["jobresult"]["errortext"].startswith("VM Snapshot revert not allowed.")
    memory_when_stopped = await api.call(
        "createVMSnapshot", virtualmachineid=app["id"], snapshotmemory=True
    )
    assert memory_when_stopped.inner["errortext"] == (
        "Failed to create vm snapshot: Can not snapshot memory when VM is not in Running state"
    )
    api.sim.settings["vmsnapshot.max"] = "2"
    full = await api.call("createVMSnapshot", virtualmachineid=app["id"])
    assert full.status == 530 and full.inner["errortext"] == (
        "Failed to create vm snapshot: Creating vm snapshot failed due to a VM can just have : 2 "
        "VM snapshots. Please delete old ones"
    )
    gone = await api.run("deleteVMSnapshot", vmsnapshotid=by_name["before-upgrade"]["id"])
    assert gone["jobresult"] == {"success": True}
    made = await api.ok("createVMSnapshot", virtualmachineid=app["id"], name="after-stop")
    assert set(made) == {"id", "jobid"}
    result = (await api.finish(made["jobid"]))["jobresult"]["vmsnapshot"]
    assert result["type"] == "Disk" and result["state"] == "Ready" and result["current"] is True


async def test_policy_rules_and_upsert(api: Api) -> None:
    vol = await api.volume("ROOT-43")
    base = {"volumeid": vol["id"], "intervaltype": "daily", "timezone": "Europe/Oslo"}
    first = await api.ok("createSnapshotPolicy", schedule="00:03", maxsnaps=7, **base)
    first = first["snapshotpolicy"]
    assert first["intervaltype"] == 1 and first["schedule"] == "00:03" and first["maxsnaps"] == 7
    assert first["zone"] == [{"id": vol["zoneid"], "name": vol["zonename"]}]
    assert [s["name"] for s in first["storage"]] == ["kvm-primary-01"] and first["tags"] == []
    second = (
        await api.ok(
            "createSnapshotPolicy",
            schedule="30:02",
            maxsnaps=3,
            **{**base, "timezone": "Mars/Olympus"},
        )
    )["snapshotpolicy"]
    assert second["id"] == first["id"] and second["timezone"] == "GMT"
    assert second["schedule"] == "30:02" and second["maxsnaps"] == 3
    policies = await api.ok("listSnapshotPolicies", volumeid=vol["id"])
    assert policies["count"] == 2  # the seeded WEEKLY one and this DAILY one
    desc = 'Volume {"id": '
    bad = await api.call("createSnapshotPolicy", schedule="30", maxsnaps=3, **base)
    assert bad.status == 431 and bad.inner["errortext"].startswith(desc)
    assert bad.inner["errortext"].endswith(
        " has an invalid schedule [30] for interval type [DAILY]."
    )
    too_many = await api.call("createSnapshotPolicy", schedule="00:03", maxsnaps=9, **base)
    assert too_many.inner["errortext"].endswith(
        "exceeds limit [8] for interval type [DAILY]."
    ) and too_many.inner["errortext"].startswith("maxSnaps [9] for volume Volume")
    zero = await api.call("createSnapshotPolicy", schedule="00:03", maxsnaps=0, **base)
    assert zero.inner["errortext"].endswith("should be greater than 0.")
    wrong = await api.call(
        "createSnapshotPolicy", schedule="00:03", maxsnaps=1, **{**base, "intervaltype": "YEARLY"}
    )
    assert wrong.inner["errortext"] == "Unsupported interval type YEARLY"
    day29 = await api.call(
        "createSnapshotPolicy",
        schedule="00:03:29",
        maxsnaps=1,
        **{**base, "intervaltype": "MONTHLY"},
    )
    assert day29.status == 431
    after = await api.ok("listSnapshotPolicies", volumeid=vol["id"])
    assert after == policies  # refused calls changed nothing
    gone = await api.ok("deleteSnapshotPolicies", id=first["id"])
    assert gone == {"success": True}
    assert (await api.ok("listSnapshotPolicies", volumeid=vol["id"]))["count"] == 1
    none = await api.call("deleteSnapshotPolicies")
    assert none.inner["errortext"] == "No policy id (or list of ids) specified."


async def test_delete_volume_rules(api: Api) -> None:
    attached = await api.call("deleteVolume", id=(await api.volume("ROOT-42"))["id"])
    assert attached.status == 431
    assert attached.inner["errortext"] == "Please specify a volume that is not attached to any VM."
    scratch = await api.volume("scratch-data")
    await api.ok(
        "createSnapshotPolicy",
        volumeid=scratch["id"],
        intervaltype="DAILY",
        schedule="00:01",
        timezone="UTC",
        maxsnaps=2,
    )
    snaps = await api.snapshots(volumeid=scratch["id"])
    assert await api.ok("deleteVolume", id=scratch["id"]) == {"success": True}
    assert await api.ok("listVolumes", name="scratch-data") == {}
    kept = [s for s in await api.snapshots() if s["volumeid"] == scratch["id"]]
    assert [s["id"] for s in kept] == [s["id"] for s in snaps]
    assert kept[0]["volumename"] == "scratch-data"
    assert all(
        p["volumeid"] != scratch["id"]
        for p in (await api.ok("listSnapshotPolicies")).get("snapshotpolicy", [])
    )


async def test_templates_and_deploy(api: Api) -> None:
    missing = await api.call("listTemplates")
    assert missing.inner["errortext"].endswith("due to missing parameter templatefilter")
    featured = await api.ok("listTemplates", templatefilter="featured")
    mine = await api.ok("listTemplates", templatefilter="self")
    assert featured["count"] >= 5 and [t["name"] for t in mine["template"]] == ["web-golden"]
    root = await api.volume("ROOT-42")
    snap = next(s for s in await api.snapshots(volumeid=root["id"]) if s["state"] == "BackedUp")
    no_os = await api.call("createTemplate", snapshotid=snap["id"], name="x")
    assert no_os.inner["errortext"].endswith("due to missing parameter ostypeid")
    made = await api.ok(
        "createTemplate",
        snapshotid=snap["id"],
        name="hello-tpl",
        displaytext="hello",
        ostypeid=snap["ostypeid"],
    )
    tpl = (await api.finish(made["jobid"]))["jobresult"]["template"]
    assert tpl["id"] == made["id"] and tpl["isready"] is True and tpl["format"] == "QCOW2"
    zones = {z["name"]: z for z in (await api.ok("listZones"))["zone"]}
    offering = (await api.ok("listServiceOfferings"))["serviceoffering"][0]
    adv = zones["atlas-is1"]
    no_net = await api.call(
        "deployVirtualMachine",
        serviceofferingid=offering["id"],
        zoneid=adv["id"],
        templateid=tpl["id"],
        name="restored",
    )
    assert no_net.status == 431
    net = (await api.ok("listNetworks", zoneid=adv["id"]))["network"][0]
    deployed = await api.ok(
        "deployVirtualMachine",
        serviceofferingid=offering["id"],
        zoneid=adv["id"],
        templateid=tpl["id"],
        networkids=net["id"],
        name="restored",
    )
    vm = (await api.finish(deployed["jobid"]))["jobresult"]["virtualmachine"]
    assert vm["id"] == deployed["id"] and vm["state"] == "Running" and vm["name"] == "restored"


async def test_settings_constructor_argument() -> None:
    sim = SimServer(seed="empty", speed=0, settings={"snapshot.max.daily": "3"})
    assert sim.settings["snapshot.max.daily"] == "3"
    assert sim.settings["kvm.snapshot.enabled"] == "true"
