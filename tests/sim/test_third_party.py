"""Clients nobody here wrote: the cs library (sync, async, CLI) and apache-libcloud."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from cs import AIOCloudStack, CloudStack
from libcloud.compute.providers import get_driver
from libcloud.compute.types import Provider

from atlas_tui.sim import SimServer


@pytest.fixture
def threaded() -> Iterator[SimServer]:
    sim = SimServer(seed="demo", speed=5000)  # a 90 s job takes ~20 ms of real time
    sim.start_in_thread()
    try:
        yield sim
    finally:
        sim.stop_thread()


def test_atlas_guide_flow_with_cs(threaded: SimServer) -> None:
    cs = CloudStack(
        endpoint=threaded.endpoint,
        key=threaded.api_key,
        secret=threaded.secret_key,
        poll_interval=0.02,
        fetch_result=True,
    )
    [vm] = cs.listVirtualMachines(name="hello-atlas")["virtualmachine"]
    [root] = cs.listVolumes(virtualmachineid=vm["id"], type="ROOT")["volume"]
    snap = cs.createSnapshot(volumeid=root["id"])["snapshot"]
    assert snap["state"] == "BackedUp"
    listed = cs.listSnapshots(volumeid=root["id"])["snapshot"]
    assert listed[0]["id"] == snap["id"]
    policy = cs.createSnapshotPolicy(
        volumeid=root["id"], intervaltype="DAILY", schedule="00:03", timezone="UTC", maxsnaps=7
    )["snapshotpolicy"]
    assert policy["intervaltype"] == 1
    offering = next(o for o in cs.listDiskOfferings()["diskoffering"] if o["disksize"] == 20)
    new = cs.createVolume(
        snapshotid=snap["id"], name="hello-root-restored", diskofferingid=offering["id"]
    )["volume"]
    assert new["type"] == "DATADISK"
    cs.stopVirtualMachine(id=vm["id"])
    cs.detachVolume(id=root["id"])
    attached = cs.attachVolume(id=new["id"], virtualmachineid=vm["id"], deviceid=0)["volume"]
    assert attached["type"] == "ROOT"
    assert cs.startVirtualMachine(id=vm["id"])["virtualmachine"]["state"] == "Running"
    tpl = cs.createTemplate(
        snapshotid=snap["id"], name="hello-tpl", displaytext="hello-tpl", ostypeid=snap["ostypeid"]
    )["template"]
    assert tpl["isready"] is True
    everything = cs.listSnapshots(fetch_list=True)
    assert len(everything) == cs.listSnapshots()["count"]


async def test_cs_async_client() -> None:
    sim = SimServer(seed="demo", speed=5000)
    await sim.start()
    try:
        async with AIOCloudStack(
            endpoint=sim.endpoint, key=sim.api_key, secret=sim.secret_key, poll_interval=0.02
        ) as cs:
            zones = await cs.listZones()
            assert zones["count"] == 2
            vol = (await cs.listVolumes(name="DATA-43"))["volume"][0]
            job = await cs.createSnapshot(volumeid=vol["id"], fetch_result=True)
            assert job["snapshot"]["state"] == "BackedUp"
    finally:
        await sim.stop()


def test_cs_command_line(threaded: SimServer, tmp_path) -> None:
    env = dict(
        os.environ,
        CLOUDSTACK_ENDPOINT=threaded.endpoint,
        CLOUDSTACK_KEY=threaded.api_key,
        CLOUDSTACK_SECRET=threaded.secret_key,
    )
    out = subprocess.run(
        [sys.executable, "-m", "cs", "listVirtualMachines", "name=web-01"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert '"name": "web-01"' in out.stdout


def test_libcloud_driver(threaded: SimServer) -> None:
    from urllib.parse import urlparse

    url = urlparse(threaded.endpoint)
    driver = get_driver(Provider.CLOUDSTACK)(
        key=threaded.api_key,
        secret=threaded.secret_key,
        host=url.hostname,
        port=url.port,
        path=url.path,
        secure=False,
    )
    nodes = {n.name: n for n in driver.list_nodes()}
    assert "hello-atlas" in nodes and nodes["db-01"].state == "stopped"
    volumes = driver.list_volumes(node=nodes["hello-atlas"])
    assert sorted(v.name for v in volumes) == ["DATA-42", "ROOT-42"]
    snap = driver.create_volume_snapshot(next(v for v in volumes if v.name == "DATA-42"))
    assert snap.id in {s.id for s in driver.list_snapshots()}
    assert driver.destroy_volume_snapshot(snap)
    assert {loc.name for loc in driver.list_locations()} == {"atlas-is1", "atlas-is2-basic"}
    assert any(img.name == "Ubuntu 22.04" for img in driver.list_images())
    assert len(driver.list_sizes()) == 3
