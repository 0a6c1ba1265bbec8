"""Clients nobody here wrote: the cs library (sync, async, CLI) and apache-libcloud.

Each runs the Atlas guide's whole cmk flow against the simulator over loopback
(``guide_flow.run_guide_flow``, asserted the same way for all four); the guide's own two mistakes
are reproduced with the sync client.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from cs import AIOCloudStack, CloudStack, CloudStackApiException
from libcloud.common.types import ProviderError

from atlas_tui.sim import SimServer

# The flow's asserts live in a helper module: have pytest explain them as it does in tests.
pytest.register_assert_rewrite(f"{__package__}.guide_flow")

# The guide's flow runs on the user view of 4.22, as a root admin and against 4.15.
RUN_ACROSS_VIEWS = True

from ..conftest import DEFAULT_VIEW  # noqa: E402
from .guide_flow import (  # noqa: E402
    CORRECT_DAILY,
    DATA_NAME,
    GUIDE_DAILY,
    POLL,
    RESTORED_NAME,
    ROOT_NAME,
    VM_NAME,
    Client,
    CsAsync,
    CsCli,
    CsSync,
    Libcloud,
    items,
    quiet_demo_sim,
    run_guide_flow,
)


@pytest.fixture
def threaded() -> Iterator[SimServer]:
    sim = quiet_demo_sim()
    sim.start_in_thread()
    try:
        yield sim
    finally:
        sim.stop_thread()


def sync_cs(sim: SimServer) -> CloudStack:
    return CloudStack(
        endpoint=sim.endpoint,
        key=sim.api_key,
        secret=sim.secret_key,
        poll_interval=POLL,
        fetch_result=True,
    )


@asynccontextmanager
async def connect(
    kind: str, workdir: Path, view: tuple[str, str] = DEFAULT_VIEW
) -> AsyncIterator[Client]:
    """A fresh demo simulator and an adapter for one client; cs-async shares the test's loop."""
    sim = quiet_demo_sim(role=view[0], server_version=view[1])
    if kind == "cs-async":
        await sim.start()
        try:
            async with AIOCloudStack(
                endpoint=sim.endpoint, key=sim.api_key, secret=sim.secret_key, poll_interval=POLL
            ) as cs:
                yield CsAsync(cs)
        finally:
            await sim.stop()
        return
    sim.start_in_thread()
    try:
        if kind == "cs":
            yield CsSync(sim)
        elif kind == "cs-cli":
            yield CsCli(sim, workdir)
        else:
            yield Libcloud(sim)
    finally:
        sim.stop_thread()


# The libcloud entry point(s) behind each command of the flow. Raw calls go through the driver's
# own connection; see the Libcloud adapter for why each of them is raw.
LIBCLOUD_ROUTES = {
    "listVirtualMachines": {"list_nodes", "ex_get_node"},
    "listVolumes": {"ex_get_node", "list_volumes", "ex_get_volume"},
    "createSnapshot": {"ex_get_volume", "create_volume_snapshot"},
    "listSnapshots": {"list_snapshots"},
    "createSnapshotPolicy": {"_sync_request"},
    "listSnapshotPolicies": {"_sync_request"},
    "listDiskOfferings": {"ex_list_disk_offerings"},
    "createVolume": {"_async_request"},
    "stopVirtualMachine": {"ex_get_node", "ex_stop"},
    "detachVolume": {"ex_get_volume", "detach_volume"},
    "attachVolume": {"_async_request"},
    "startVirtualMachine": {"ex_get_node", "ex_start"},
    "createTemplate": {"ex_create_snapshot_template"},
    "listTemplates": {"_sync_request"},
}


@pytest.mark.parametrize("kind", ["cs", "cs-async", "cs-cli", "libcloud"])
async def test_atlas_guide_flow(kind: str, tmp_path: Path, sim_view: tuple[str, str]) -> None:
    async with connect(kind, tmp_path, sim_view) as client:
        run = await run_guide_flow(client)
    assert run.new_volume["name"] == RESTORED_NAME and run.old_root["name"] == ROOT_NAME
    if isinstance(client, CsCli):  # one `cs` process per command, each answered in JSON
        assert client.commands[:3] == ["listVirtualMachines", "listVolumes", "createSnapshot"]
        assert len(client.commands) == 17
    if isinstance(client, Libcloud):
        assert client.routes == LIBCLOUD_ROUTES


def test_guide_daily_schedule_is_stored_as_written(threaded: SimServer) -> None:
    """The guide's ``schedule="03:00"`` is accepted and kept verbatim; it means 00:03 (MM:HH)."""
    cs = sync_cs(threaded)
    [root] = cs.listVolumes(name=ROOT_NAME)["volume"]

    def daily(schedule: str) -> dict[str, Any]:
        return cs.createSnapshotPolicy(
            volumeid=root["id"], intervaltype="DAILY", schedule=schedule, timezone="UTC", maxsnaps=7
        )["snapshotpolicy"]

    def next_run(policy_id: str) -> tuple[int, int]:
        # When the simulator's scheduler will fire it (not visible through the API).
        at = threaded.state.policies[policy_id].next_run
        assert at is not None
        return at.hour, at.minute

    corrected = daily(CORRECT_DAILY)
    assert corrected["schedule"] == CORRECT_DAILY and next_run(corrected["id"]) == (3, 0)

    guide = daily(GUIDE_DAILY)  # cmk create snapshotpolicy ... schedule="03:00" (the guide)
    assert guide["id"] == corrected["id"]  # the same DAILY policy, updated in place
    assert (guide["schedule"], guide["intervaltype"]) == (GUIDE_DAILY, 1)
    [listed] = items(cs.listSnapshotPolicies(volumeid=root["id"]), "snapshotpolicy")
    assert (listed["id"], listed["schedule"], listed["intervaltype"]) == (
        guide["id"],
        GUIDE_DAILY,
        1,
    )
    assert (listed["timezone"], listed["maxsnaps"]) == ("UTC", 7)
    assert next_run(guide["id"]) == (0, 3)  # "03:00" runs at 00:03, not at 03:00


def test_guide_attach_without_deviceid_leaves_vm_unbootable(threaded: SimServer) -> None:
    """The guide's ``attach volume`` has no ``deviceid=0``: the new disk becomes a DATADISK, the
    VM has no ROOT and its start job fails; nothing is lost, and deviceid=0 repairs it."""
    cs = sync_cs(threaded)
    [vm] = [
        v for v in cs.listVirtualMachines(name=VM_NAME)["virtualmachine"] if v["name"] == VM_NAME
    ]
    [root] = cs.listVolumes(virtualmachineid=vm["id"], type="ROOT")["volume"]
    snap = cs.createSnapshot(volumeid=root["id"])["snapshot"]
    offering = next(o for o in cs.listDiskOfferings()["diskoffering"] if o["disksize"] == 20)
    new = cs.createVolume(snapshotid=snap["id"], name=RESTORED_NAME, diskofferingid=offering["id"])
    new = new["volume"]
    assert cs.stopVirtualMachine(id=vm["id"])["virtualmachine"]["state"] == "Stopped"
    cs.detachVolume(id=root["id"])

    attached = cs.attachVolume(id=new["id"], virtualmachineid=vm["id"])["volume"]  # as the guide
    assert (attached["type"], attached["deviceid"]) == ("DATADISK", 2)  # DATA-42 holds 1

    with pytest.raises(CloudStackApiException) as failed:
        cs.startVirtualMachine(id=vm["id"])
    job = failed.value.response.json()["queryasyncjobresultresponse"]
    assert (job["jobstatus"], job["jobresultcode"]) == (2, 530)
    instance = threaded.state.vms[vm["id"]].instancename  # root-admin only in the API
    assert failed.value.error == {
        "errorcode": 530,
        "errortext": f"Unable to start VM {instance}: it has no ROOT volume; attach a volume "
        "with deviceid=0 to make it the root disk",
    }
    assert job["jobresult"] == failed.value.error

    # Nothing lost: the VM is Stopped with no ROOT, both volumes are there, as DATADISKs.
    assert cs.listVolumes(virtualmachineid=vm["id"], type="ROOT") == {}
    [vm_now] = cs.listVirtualMachines(id=vm["id"])["virtualmachine"]
    assert vm_now["state"] == "Stopped"
    [old] = cs.listVolumes(id=root["id"])["volume"]
    [now] = cs.listVolumes(id=new["id"])["volume"]
    assert (old["type"], "virtualmachineid" in old) == ("DATADISK", False)
    assert (now["type"], now["virtualmachineid"], now["deviceid"]) == ("DATADISK", vm["id"], 2)
    names = {v["name"] for v in cs.listVolumes(virtualmachineid=vm["id"])["volume"]}
    assert names == {RESTORED_NAME, DATA_NAME}

    # The repair: detach it again and attach it with deviceid=0; now the VM starts from it.
    cs.detachVolume(id=new["id"])
    fixed = cs.attachVolume(id=new["id"], virtualmachineid=vm["id"], deviceid=0)["volume"]
    assert (fixed["type"], fixed["deviceid"]) == ("ROOT", 0)
    assert cs.startVirtualMachine(id=vm["id"])["virtualmachine"]["state"] == "Running"


async def test_fetch_list_pages_add_up(threaded: SimServer) -> None:
    """cs's fetch_list walks page/pagesize to exactly ``count`` items, sync and async."""
    cs = sync_cs(threaded)
    whole = cs.listSnapshots()
    assert whole["count"] > 7 * 3, "enough snapshots for several pages"
    ids = [s["id"] for s in whole["snapshot"]]
    paged = cs.listSnapshots(fetch_list=True, pagesize=7)
    assert [s["id"] for s in paged] == ids  # no page skipped or repeated, same order
    async with AIOCloudStack(
        endpoint=threaded.endpoint, key=threaded.api_key, secret=threaded.secret_key
    ) as acs:
        apaged = await acs.listSnapshots(fetch_list=True, pagesize=7)
    assert [s["id"] for s in apaged] == ids
    created = [s["created"] for s in whole["snapshot"]]
    assert created == sorted(created, reverse=True)  # listSnapshots: newest first


def test_libcloud_inventory(threaded: SimServer) -> None:
    driver = Libcloud(threaded).driver
    assert {loc.name for loc in driver.list_locations()} == {"atlas-is1", "atlas-is2-basic"}
    assert any(img.name == "Ubuntu 22.04" for img in driver.list_images())
    assert {s.name for s in driver.list_sizes()} == {
        "Small Instance",
        "Medium Instance",
        "Large Instance",
    }
    nodes = {n.name: n for n in driver.list_nodes()}
    assert nodes[VM_NAME].state == "running" and nodes["db-01"].state == "stopped"
    volumes = driver.list_volumes(node=nodes[VM_NAME])
    assert sorted((v.name, v.extra["device_id"]) for v in volumes) == [
        (DATA_NAME, 1),
        (ROOT_NAME, 0),
    ]


def test_libcloud_volume_calls_send_names_a_real_server_ignores(threaded: SimServer) -> None:
    """Why the libcloud adapter sends createVolume and attachVolume raw. libcloud 3.9's
    ``create_volume`` sends ``diskOfferingId``/``zoneId`` (and drops ``snapshot=``), and
    ``attach_volume`` sends ``virtualMachineId`` (and drops ``device=``). CloudStack looks each
    parameter up by its exact lowercase name (``ParamProcessWorker.java`` ~193,
    ``params.get(parameterAnnotation.name())``), so those names are unknown and ignored: the
    server refuses both calls as if the values were never sent. Finding: these two libcloud
    methods cannot work against a real CloudStack; the simulator used to fold case and hid it."""
    driver = Libcloud(threaded).driver
    node = next(n for n in driver.list_nodes() if n.name == VM_NAME)
    data = next(v for v in driver.list_volumes(node=node) if v.name == DATA_NAME)
    snap = driver.create_volume_snapshot(data)
    assert snap.extra["volume_id"] == data.id
    volumes_before = threaded.state.volumes.copy()

    with pytest.raises(ProviderError) as refused:
        driver.create_volume(20, "not-from-snapshot", snapshot=snap)
    assert refused.value.http_code == 431
    assert str(refused.value.value) == (
        "At least one of disk Offering ID or snapshot ID must be passed whilst creating volume")
    assert threaded.state.volumes.keys() == volumes_before.keys()  # nothing was created

    with pytest.raises(ProviderError) as missing:
        driver.attach_volume(node, data)
    assert missing.value.http_code == 431
    assert str(missing.value.value) == (
        "Unable to execute API command attachvolume due to missing parameter virtualmachineid")

    assert driver.destroy_volume_snapshot(snap)
    assert snap.id not in {s.id for s in driver.list_snapshots()}
