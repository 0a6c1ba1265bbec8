"""The Atlas guide's whole ``cmk`` flow, run the same way through any third-party client.

The guide (https://newdocs.runatlas.is/guides/compute/snapshots; where it goes wrong is in
``docs/architecture.md``, "CloudStack facts that shape it") does, with ``cmk``: find
``hello-atlas``'s root volume, snapshot it, list snapshots, create a DAILY policy, create a
volume from the snapshot, stop the VM, detach the old root, attach the new volume, start the VM,
create a template from the snapshot. ``run_guide_flow`` does exactly that, in the *correct* form
(schedule ``00:03`` for 03:00, ``deviceid=0`` on the attach), through a ``Client``: an adapter
with one method, ``await client.call(command, **params)``, which answers what ``cs`` answers
with ``fetch_result=True``:

* list commands: ``{"count": N, "<item key>": [...]}``, or ``{}`` when nothing matches;
* async commands: the job's result once it succeeded, e.g. ``{"snapshot": {...}}``;
* other commands: the inner response, e.g. ``{"snapshotpolicy": {...}}``.

Adapters: ``CsSync`` (``cs.CloudStack``), ``CsAsync`` (``cs.AIOCloudStack``), ``CsCli``
(``python -m cs`` in a subprocess) and ``Libcloud`` (apache-libcloud's CloudStack driver, its
high-level methods where it has them). Every step's answer is asserted here, once, for all four.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

from cs import AIOCloudStack, CloudStack
from libcloud.common.base import PollingConnection
from libcloud.compute.base import Node, StorageVolume, VolumeSnapshot
from libcloud.compute.drivers.cloudstack import CloudStackNodeDriver
from libcloud.compute.providers import get_driver
from libcloud.compute.types import NodeState, Provider

from atlas_tui.sim import SimServer
from atlas_tui.sim.domain.policies import remove_policy
from tests.helpers import present

GIB = 1024**3
VM_NAME = "hello-atlas"
ROOT_NAME = "ROOT-42"
DATA_NAME = "DATA-42"
RESTORED_NAME = "hello-root-restored"
TEMPLATE_NAME = "hello-atlas-from-snapshot"
CORRECT_DAILY = "00:03"  # MM:HH: every day at 03:00 in the policy's timezone
GUIDE_DAILY = "03:00"  # what the guide wrote: MM:HH, so every day at 00:03
POLL = 0.02  # seconds between queryAsyncJobResult polls, for every client

# A 90 s job takes 45 ms of real time. The start is fixed at 06:16 UTC on a winter day so that no
# recurring snapshot of hello-atlas falls inside a test: its next DAILY runs are >= 17 h 47 min of
# simulated time (32 s of real time) away; see ``quiet_demo_sim`` for the HOURLY one.
SPEED = 2000.0
QUIET_START = datetime(2026, 1, 15, 6, 16, tzinfo=UTC)


def quiet_demo_sim(
    speed: float = SPEED, role: str = "user", server_version: str = "4.22"
) -> SimServer:
    """The demo seed, fast, with no recurring snapshot of hello-atlas due during a test.

    The demo's HOURLY policy on DATA-42 fires every 1.8 s of real time at this speed, and its
    snapshot job (~80 simulated seconds) runs on hello-atlas, the guide's VM. A manual
    createSnapshot of ROOT-42 submitted while it runs is refused, correctly ("There is other
    active snapshot tasks on the instance..."), which would make the flow fail at random. It is
    removed before the server starts, so no request races it. Everything else in the seed stays.
    """
    sim = SimServer(seed="demo", speed=speed, start=QUIET_START, role=role,
                    server_version=server_version)
    hourly = [
        p for p in sim.state.policies.values() if p.volume.name == DATA_NAME and p.interval == 0
    ]
    assert len(hourly) == 1, "the demo seed changed: DATA-42 should have one HOURLY policy"
    remove_policy(sim.state, hourly[0])
    return sim


def items(reply: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """The items of a list answer (``{}`` when empty), checking ``count`` on the way."""
    found = reply.get(key, [])
    assert reply.get("count", 0) == len(found), reply
    return found


class Client(Protocol):
    name: str

    async def call(self, command: str, **params: Any) -> dict[str, Any]: ...


@dataclass
class GuideRun:
    """What the flow created, for checks specific to one client."""

    vm: dict[str, Any]
    old_root: dict[str, Any]
    snapshot: dict[str, Any]
    policy: dict[str, Any]
    new_volume: dict[str, Any]
    template: dict[str, Any]


async def run_guide_flow(client: Client) -> GuideRun:
    """The guide's flow, step by step, each answer asserted (the guide's cmk command above it)."""
    call = client.call

    # cmk list virtualmachines name=hello-atlas ; cmk list volumes virtualmachineid=... type=ROOT
    vms = items(await call("listVirtualMachines", name=VM_NAME), "virtualmachine")
    [vm] = [v for v in vms if v["name"] == VM_NAME]  # name= is a substring match
    assert vm["state"] == "Running"
    [root] = items(await call("listVolumes", virtualmachineid=vm["id"], type="ROOT"), "volume")
    assert (root["name"], root["type"], root["deviceid"]) == (ROOT_NAME, "ROOT", 0)
    assert root["virtualmachineid"] == vm["id"]

    # cmk create snapshot volumeid=...  (waits for the job)
    snap = (await call("createSnapshot", volumeid=root["id"]))["snapshot"]
    assert snap["state"] == "BackedUp", snap
    assert snap["volumeid"] == root["id"]
    assert snap["ostypeid"], "a ROOT snapshot carries its OS type (createTemplate needs it)"

    # cmk list snapshots volumeid=...  : newest first
    listed = items(await call("listSnapshots", volumeid=root["id"]), "snapshot")
    assert listed[0]["id"] == snap["id"], [s["name"] for s in listed]
    assert len(listed) > 1, "the demo's ROOT-42 has older snapshots"
    created = [s["created"] for s in listed]  # yyyy-MM-ddTHH:mm:ss+0000 sorts as text
    assert created == sorted(created, reverse=True)
    assert {s["volumeid"] for s in listed} == {root["id"]}

    # cmk create snapshotpolicy volumeid=... intervaltype=DAILY schedule=00:03 timezone=UTC
    #     maxsnaps=7   (the guide's "03:00" corrected: MM:HH)
    policy = (
        await call(
            "createSnapshotPolicy",
            volumeid=root["id"],
            intervaltype="DAILY",
            schedule=CORRECT_DAILY,
            timezone="UTC",
            maxsnaps=7,
        )
    )["snapshotpolicy"]
    assert policy["intervaltype"] == 1  # a number in a policy: 0 HOURLY, 1 DAILY, ...
    assert (policy["schedule"], policy["timezone"], policy["maxsnaps"]) == (CORRECT_DAILY, "UTC", 7)
    assert policy["volumeid"] == root["id"]
    # One policy per (volume, interval type): the seed's guide-style DAILY was updated in place.
    policies = items(await call("listSnapshotPolicies", volumeid=root["id"]), "snapshotpolicy")
    assert [(p["id"], p["schedule"]) for p in policies] == [(policy["id"], CORRECT_DAILY)]

    # cmk create volume snapshotid=... name=... diskofferingid=... (an offering >= the snapshot)
    offerings = items(await call("listDiskOfferings"), "diskoffering")
    fitting = [
        o for o in offerings if not o["iscustomized"] and o["disksize"] * GIB >= root["size"]
    ]
    offering = min(fitting, key=lambda o: o["disksize"])
    new = (
        await call(
            "createVolume",
            snapshotid=snap["id"],
            name=RESTORED_NAME,
            diskofferingid=offering["id"],
        )
    )["volume"]
    assert (new["name"], new["type"], new["state"]) == (RESTORED_NAME, "DATADISK", "Ready")
    assert new["size"] == root["size"]  # no `snapshotid` on a volume (fidelity.md row 18)
    assert "virtualmachineid" not in new

    # cmk stop virtualmachine id=...
    stopped = (await call("stopVirtualMachine", id=vm["id"]))["virtualmachine"]
    assert stopped["state"] == "Stopped"

    # cmk detach volume id=<old root>
    detached = (await call("detachVolume", id=root["id"]))["volume"]
    assert detached["id"] == root["id"] and detached["type"] == "DATADISK"
    assert "virtualmachineid" not in detached and "deviceid" not in detached

    # cmk attach volume id=<new> virtualmachineid=... deviceid=0
    reply = await call("attachVolume", id=new["id"], virtualmachineid=vm["id"], deviceid=0)
    attached = reply["volume"]
    assert (attached["id"], attached["type"], attached["deviceid"]) == (new["id"], "ROOT", 0)
    assert attached["virtualmachineid"] == vm["id"]

    # cmk start virtualmachine id=...
    started = (await call("startVirtualMachine", id=vm["id"]))["virtualmachine"]
    assert started["state"] == "Running"

    # cmk create template snapshotid=... name=... displaytext=... ostypeid=...
    template = (
        await call(
            "createTemplate",
            snapshotid=snap["id"],
            name=TEMPLATE_NAME,
            displaytext=TEMPLATE_NAME,
            ostypeid=snap["ostypeid"],
        )
    )["template"]
    assert template["name"] == TEMPLATE_NAME and template["isready"] is True
    assert template["ostypeid"] == snap["ostypeid"]

    # Afterwards, as the guide's reader would check: the new volume is the root at device 0, the
    # old root is a detached DATADISK (kept, with its snapshots), the VM runs, the template is
    # ready.
    now = items(await call("listVolumes", virtualmachineid=vm["id"]), "volume")
    assert [(v["id"], v["deviceid"]) for v in now if v["type"] == "ROOT"] == [(new["id"], 0)]
    assert {v["name"] for v in now} == {RESTORED_NAME, DATA_NAME}
    [old] = items(await call("listVolumes", id=root["id"]), "volume")
    assert (old["name"], old["type"]) == (ROOT_NAME, "DATADISK")
    assert "virtualmachineid" not in old and "deviceid" not in old
    [vm_now] = items(await call("listVirtualMachines", id=vm["id"]), "virtualmachine")
    assert vm_now["state"] == "Running"
    reply = await call("listTemplates", templatefilter="self", id=template["id"])
    [tpl] = items(reply, "template")
    assert tpl["isready"] is True and tpl["name"] == TEMPLATE_NAME

    return GuideRun(vm, root, snap, policy, new, template)


# -- adapters ----------------------------------------------------------------------------------


class CsSync:
    """``cs.CloudStack`` with ``fetch_result=True``: async commands wait for their job."""

    name = "cs"

    def __init__(self, sim: SimServer) -> None:
        self.cs = CloudStack(
            endpoint=sim.endpoint,
            key=sim.api_key,
            secret=sim.secret_key,
            poll_interval=POLL,
            fetch_result=True,
        )

    async def call(self, command: str, **params: Any) -> dict[str, Any]:
        # Blocking is fine: the simulator runs in its own thread.
        return getattr(self.cs, command)(**params)


class CsAsync:
    """``cs.AIOCloudStack`` in ``async with`` (one session), results awaited."""

    name = "cs-async"

    def __init__(self, cs: AIOCloudStack) -> None:
        self.cs = cs

    async def call(self, command: str, **params: Any) -> dict[str, Any]:
        return await getattr(self.cs, command)(fetch_result=True, **params)


class CsCli:
    """``python -m cs COMMAND key=value ...``: configured by CLOUDSTACK_* only, waits for async
    jobs by default and prints the answer as JSON (nothing at all for an empty list)."""

    name = "cs-cli"

    def __init__(self, sim: SimServer, workdir: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDSTACK_")}
        env.update(
            CLOUDSTACK_ENDPOINT=sim.endpoint,
            CLOUDSTACK_KEY=sim.api_key,
            CLOUDSTACK_SECRET=sim.secret_key,
            CLOUDSTACK_POLL_INTERVAL=str(POLL),
            HOME=str(workdir),  # no ~/.cloudstack.ini of the machine's user
        )
        self.env = env
        self.workdir = workdir
        self.commands: list[str] = []

    def run(self, command: str, **params: Any) -> subprocess.CompletedProcess[str]:
        args = [f"{k}={v}" for k, v in params.items()]
        self.commands.append(command)
        return subprocess.run(
            [sys.executable, "-m", "cs", command, *args],
            env=self.env,
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=60,
        )

    async def call(self, command: str, **params: Any) -> dict[str, Any]:
        done = self.run(command, **params)
        assert done.returncode == 0, (command, done.stdout, done.stderr)
        return json.loads(done.stdout) if done.stdout.strip() else {}


NODE_STATES = {NodeState.RUNNING: "Running", NodeState.STOPPED: "Stopped"}  # libcloud's, back


class Libcloud:
    """apache-libcloud's CloudStack driver, through its high-level methods where it has one.

    Its objects carry fewer fields than CloudStack answers (a ``VolumeSnapshot`` has no state or
    date, a ``NodeImage`` no ``isready``), so an answer is built from the object, and what the
    object lacks is filled in from the same listing sent raw through the driver's own connection
    (``_sync_request``). Where the driver has no method, or one that drops a parameter the guide
    needs, the call goes raw: ``createSnapshotPolicy``, ``listSnapshotPolicies``,
    ``listTemplates``; ``createVolume`` (``create_volume(snapshot=...)`` ignores the snapshot) and
    ``attachVolume`` with ``deviceid`` (``attach_volume(device=...)`` ignores the device); see
    ``test_libcloud_drops_snapshot_and_device``. ``routes`` records what served each command.
    """

    name = "libcloud"

    def __init__(self, sim: SimServer) -> None:
        url = urlparse(sim.endpoint)
        cls = get_driver(Provider.CLOUDSTACK)
        assert issubclass(cls, CloudStackNodeDriver)
        self.driver = cls(
            key=sim.api_key,
            secret=sim.secret_key,
            host=url.hostname,
            port=url.port,
            path=url.path,
            secure=False,
        )
        assert isinstance(self.driver.connection, PollingConnection)
        self.driver.connection.poll_interval = POLL
        self.routes: dict[str, set[str]] = {}

    def _route(self, command: str, *how: str) -> None:
        self.routes.setdefault(command, set()).update(how)

    def _raw(self, command: str, **params: Any) -> dict[str, Any]:
        return self.driver._sync_request(command, params=params)

    def _raw_async(self, command: str, **params: Any) -> dict[str, Any]:
        return self.driver._async_request(command, params=params)

    async def call(self, command: str, **params: Any) -> dict[str, Any]:
        handler = getattr(self, f"_{command}", None)
        if handler is None:
            raise AssertionError(f"the libcloud adapter has no route for {command}")
        return handler(**params)

    # converters: CloudStack-shaped dicts from libcloud objects (absent fields left out)
    def _node_dict(self, node: Node) -> dict[str, Any]:
        state = NODE_STATES.get(node.state, str(node.state))
        return {"id": node.id, "name": node.name, "state": state}

    @staticmethod
    def _volume_dict(vol: StorageVolume) -> dict[str, Any]:
        extra = present(vol.extra)
        found = {
            "id": vol.id,
            "name": vol.name,
            "size": vol.size,
            "state": extra["state"],
            "type": extra["volume_type"],
            "deviceid": extra["device_id"],
            "virtualmachineid": extra["instance_id"],
        }
        return {k: v for k, v in found.items() if v is not None}

    @staticmethod
    def _listing(key: str, found: list[dict[str, Any]]) -> dict[str, Any]:
        return {"count": len(found), key: found} if found else {}

    def _snapshot_dict(self, snap: VolumeSnapshot, raw: dict[str, Any]) -> dict[str, Any]:
        native = {"id": snap.id, "name": snap.extra["name"], "volumeid": snap.extra["volume_id"]}
        return {**raw, **native}

    # routes
    def _listVirtualMachines(self, name: str | None = None, id: str | None = None):
        if id is not None:
            self._route("listVirtualMachines", "ex_get_node")
            nodes = [self.driver.ex_get_node(id)]
        else:
            self._route("listVirtualMachines", "list_nodes")
            nodes = [n for n in self.driver.list_nodes() if name is None or name in n.name]
        return self._listing("virtualmachine", [self._node_dict(n) for n in nodes])

    def _listVolumes(self, virtualmachineid=None, type=None, id=None):
        if id is not None:
            self._route("listVolumes", "ex_get_volume")
            vols = [self.driver.ex_get_volume(id)]
        else:
            self._route("listVolumes", "ex_get_node", "list_volumes")
            node = self.driver.ex_get_node(virtualmachineid) if virtualmachineid else None
            vols = self.driver.list_volumes(node=node)
        found = [self._volume_dict(v) for v in vols]
        return self._listing("volume", [v for v in found if type is None or v["type"] == type])

    def _createSnapshot(self, volumeid: str):
        self._route("createSnapshot", "ex_get_volume", "create_volume_snapshot")
        snap = self.driver.create_volume_snapshot(self.driver.ex_get_volume(volumeid))
        [raw] = self._raw("listSnapshots", id=snap.id)["snapshot"]
        return {"snapshot": self._snapshot_dict(snap, raw)}

    def _listSnapshots(self, volumeid: str):
        self._route("listSnapshots", "list_snapshots")
        raw = {s["id"]: s for s in self._raw("listSnapshots", volumeid=volumeid)["snapshot"]}
        # the order and the ids are libcloud's; list_snapshots() has no volume filter
        mine = [s for s in self.driver.list_snapshots() if s.extra["volume_id"] == volumeid]
        return self._listing("snapshot", [self._snapshot_dict(s, raw[s.id]) for s in mine])

    def _createSnapshotPolicy(self, **params: Any):
        self._route("createSnapshotPolicy", "_sync_request")
        return self._raw("createSnapshotPolicy", **params)

    def _listSnapshotPolicies(self, **params: Any):
        self._route("listSnapshotPolicies", "_sync_request")
        return self._raw("listSnapshotPolicies", **params)

    def _listDiskOfferings(self):
        self._route("listDiskOfferings", "ex_list_disk_offerings")
        found = [
            {"id": o.id, "name": o.name, "disksize": o.size, "iscustomized": o.customizable}
            for o in self.driver.ex_list_disk_offerings()
        ]
        return self._listing("diskoffering", found)

    def _createVolume(self, **params: Any):
        self._route("createVolume", "_async_request")
        return self._raw_async("createVolume", **params)

    def _stopVirtualMachine(self, id: str):
        self._route("stopVirtualMachine", "ex_get_node", "ex_stop")
        state = self.driver.ex_stop(self.driver.ex_get_node(id))
        return {"virtualmachine": {"id": id, "state": state}}

    def _startVirtualMachine(self, id: str):
        self._route("startVirtualMachine", "ex_get_node", "ex_start")
        state = self.driver.ex_start(self.driver.ex_get_node(id))
        return {"virtualmachine": {"id": id, "state": state}}

    def _detachVolume(self, id: str):
        self._route("detachVolume", "ex_get_volume", "detach_volume")
        assert self.driver.detach_volume(self.driver.ex_get_volume(id)) is True
        return {"volume": self._volume_dict(self.driver.ex_get_volume(id))}

    def _attachVolume(self, id: str, virtualmachineid: str, deviceid: int | None = None):
        if deviceid is not None:
            self._route("attachVolume", "_async_request")
            return self._raw_async(
                "attachVolume", id=id, virtualmachineid=virtualmachineid, deviceid=deviceid
            )
        self._route("attachVolume", "ex_get_node", "ex_get_volume", "attach_volume")
        node = self.driver.ex_get_node(virtualmachineid)
        assert self.driver.attach_volume(node, self.driver.ex_get_volume(id)) is True
        return {"volume": self._volume_dict(self.driver.ex_get_volume(id))}

    def _createTemplate(self, snapshotid: str, name: str, displaytext: str, ostypeid: str):
        self._route("createTemplate", "ex_create_snapshot_template")
        image = self.driver.ex_create_snapshot_template(
            VolumeSnapshot(snapshotid, driver=self.driver), name, ostypeid, displaytext
        )
        [raw] = self._raw("listTemplates", templatefilter="self", id=image.id)["template"]
        native = {
            "id": image.id,
            "name": image.name,
            "displaytext": image.extra["displaytext"],
            "hypervisor": image.extra["hypervisor"],
            "format": image.extra["format"],
            "ostypename": image.extra["os"],
        }
        return {"template": {**raw, **native}}

    def _listTemplates(self, **params: Any):
        self._route("listTemplates", "_sync_request")
        return self._raw("listTemplates", **params)
