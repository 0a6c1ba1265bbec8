"""The kinds of restore step: one class each, knowing how to send itself, how to tell from
fresh reads whether it happened, and what undoes it.

A plan holds these objects (`Step.call`); the runner only asks them:

- `send(client)`: make the call; a job handle, the policy made, or nothing.
- `inspect(client, look)`: fresh reads. Is the effect in place (`done`), is something still
  happening to the resource (`busy`), does the precondition fail (`blocked`, why)? This is what
  makes skipping, resuming and rolling back after a crash safe.
- `undo(produced)`: the operation that puts things back, or None (nothing to undo, or it
  would destroy something: a volume made is kept, a revert cannot be undone).
- `verb`, `command`, `params`, `describe()`: words and the call as the server sees it.

Fields may hold references (``"$new_volume"``: the id a step that `produces` "new_volume"
got); `resolve(created)` gives the operation with their values, before it is sent or
inspected.

In the journal an operation is ``{"command": ..., "params": {...}}`` (the API parameters,
the shape journals always had) plus, only when there are some, ``"context": {...}``: what
the operation knows but does not send (where a detached disk was, a policy's old values),
from which `undo` is derived. Journals written before operations had context still load;
their steps carry their undo step anyway.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

from atlas_tui.cloud.api.client import CloudClient
from atlas_tui.cloud.api.commands import api_name, verb_of
from atlas_tui.cloud.api.errors import CloudError, ErrorKind
from atlas_tui.cloud.api.models import JobStarted, SnapshotPolicy, Volume

BUSY_VM_STATES = frozenset({"Starting", "Stopping", "Migrating"})
BUSY_VOLUME_STATES = frozenset({"Allocated", "Creating", "Attaching", "Migrating"})

Sent = JobStarted | SnapshotPolicy | None


@dataclass
class Inspection:
    done: bool = False  # the step's effect is in place
    busy: bool = False  # something is still happening to the resource: wait
    blocked: str = ""  # the precondition does not hold (why)
    found: str = ""  # the id of what a create step made, if seen
    known: list[str] = field(default_factory=list)  # same-named resources before the call


@dataclass
class Look:
    """What the runner knows about one step when it looks at the server."""

    rec: dict[str, Any]  # the step's journal record ("status", "known"; "found_by" is set)
    mine: str = ""  # the id of what this step created, once known

    @property
    def sent_unanswered(self) -> bool:
        return self.rec.get("status") == "running"


class UnresolvedRef(Exception):
    """A ``$reference`` to something no step has created (yet)."""


class Operation(ABC):
    """One kind of restore step. Subclasses are frozen dataclasses whose fields are the call's
    arguments; `API` pairs each sent field with its API parameter, in the order shown."""

    command: ClassVar[str]
    API: ClassVar[tuple[tuple[str, str], ...]]  # (field, API parameter); the rest: context

    @property
    def verb(self) -> str:
        return verb_of(self.command)

    @property
    def params(self) -> dict[str, Any]:
        """The API parameters, as sent (None values left out)."""
        out = {api: getattr(self, f) for f, api in self.API}
        return {k: v for k, v in out.items() if v is not None}

    def describe(self) -> str:
        args = " ".join(f"{k}={v}" for k, v in self.params.items())
        return f"{self.command} {args}".strip()

    @abstractmethod
    async def send(self, client: CloudClient) -> Sent: ...

    @abstractmethod
    async def inspect(self, client: CloudClient, look: Look) -> Inspection: ...

    def undo(self, produced: str | None = None) -> Operation | None:
        """What puts things back; `produced` is the reference of what this step creates."""
        return None

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]

    def resolve(self, created: Mapping[str, str]) -> Self:
        """This operation with its ``$references`` replaced by the ids they name."""
        changes: dict[str, Any] = {}
        for name in self.field_names():
            value = getattr(self, name)
            if isinstance(value, str) and value.startswith("$"):
                if value[1:] not in created:
                    raise UnresolvedRef(f"{value[1:]} was never created")
                changes[name] = created[value[1:]]
        return dataclasses.replace(self, **changes) if changes else self  # type: ignore[type-var]

    # -- the journal --------------------------------------------------------------------

    def context(self) -> dict[str, Any]:
        """What it knows but does not send (for its undo); empty values left out."""
        sent = dict(self.API)
        return {n: getattr(self, n) for n in self.field_names()
                if n not in sent and getattr(self, n) not in (None, "")}

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"command": self.command, "params": self.params}
        if context := self.context():
            out["context"] = context
        return out

    @classmethod
    def from_parts(cls, params: Mapping[str, Any], context: Mapping[str, Any]) -> Self:
        by_api = {api: f for f, api in cls.API}
        kwargs = {by_api[k]: v for k, v in params.items() if k in by_api}
        sent = dict(cls.API)
        kwargs.update({k: v for k, v in context.items()
                       if k in cls.field_names() and k not in sent})
        return cls(**kwargs)


def operation_from_dict(d: Mapping[str, Any]) -> Operation:
    """An operation from its journal form (module doc); an unknown command is kept as it is,
    to be refused when run."""
    command = str(d["command"])
    params = dict(d.get("params") or {})
    kind = KINDS.get(command)
    if kind is None:
        return UnknownOperation(command, params)
    return kind.from_parts(params, dict(d.get("context") or {}))


# -- reads shared by several kinds ------------------------------------------------------


async def volume_or_none(client: CloudClient, volume_id: str) -> Volume | None:
    """A volume by id, or None once it is gone: the server answers an id that names nothing
    any more with a parameter error (431), not with an empty list."""
    try:
        return await client.volume(volume_id)
    except CloudError as err:
        if err.kind is ErrorKind.PARAM:
            return None
        raise


async def vm_allows(client: CloudClient, vm_id: str, *, root: bool) -> Inspection:
    """Detach/attach/revert rules of the server, checked before calling."""
    vm = await client.virtual_machine(vm_id)
    if vm is None:
        return Inspection(blocked="the VM no longer exists")
    if vm.state in BUSY_VM_STATES:
        return Inspection(busy=True)
    if root and not vm.stopped:
        return Inspection(blocked=f"{vm.name} is {vm.state}, it must be Stopped")
    if vm.state not in ("Running", "Stopped"):
        return Inspection(blocked=f"{vm.name} is {vm.state}")
    vmsnaps = await client.vm_snapshots_of(vm.id)
    if vmsnaps:
        names = ", ".join(s.displayname for s in vmsnaps)
        return Inspection(blocked=f"{vm.name} has VM snapshots ({names})")
    return Inspection()


def volume_progress(vol: Volume) -> Inspection:
    if vol.state == "Ready":
        return Inspection(done=True, found=vol.id)
    if vol.state in BUSY_VOLUME_STATES or vol.raw.get("jobid"):
        return Inspection(busy=True, found=vol.id)
    return Inspection(found=vol.id, blocked=f"{vol.name} is {vol.state}")


async def lost_create(client: CloudClient, command: str, look: Look, same: dict[str, Any],
                      ) -> Any:
    """The resource a create call made when its answer was lost (crash, dropped
    connection): the account's job of that command whose instance is one of the
    same-named resources that were not there before the call. Without a job list (an
    older server, or listAsyncJobs refused), the one such resource, since the name is
    unique to this run. Anything that was there before the call is never taken."""
    rec = look.rec
    known = set(rec.get("known") or [])
    fresh = {i: r for i, r in same.items() if i not in known}
    if not fresh:
        return None
    try:
        jobs = await client.jobs()
    except CloudError:
        jobs = []
    for job in jobs:
        if api_name(job.cmd) == command and job.instanceid in fresh:
            rec["found_by"] = f"job {job.jobid}"
            if not rec.get("jobid"):
                rec["jobid"] = job.jobid
            return fresh[job.instanceid]
    if len(fresh) == 1:
        rec["found_by"] = "name (unique to this run), not there before the call"
        return next(iter(fresh.values()))
    return None


async def inspect_made(client: CloudClient, command: str, look: Look, name: str,
                       items: list[Any], progress: Callable[[Any], Inspection]) -> Inspection:
    """Templates and VMs a step makes: by the id it got, else (answer lost) as `lost_create`
    finds it; a same-named one that was there before is not ours."""
    if look.mine:
        mine = [i for i in items if i.id == look.mine]
        if not mine:
            return Inspection(blocked=f"what this restore created ({look.mine}) is gone")
        return progress(mine[0])
    same = {i.id: i for i in items if i.name == name}
    if look.sent_unanswered:
        found = await lost_create(client, command, look, same)
        if found is not None:
            return progress(found)
    return Inspection(known=sorted({*(look.rec.get("known") or []), *same}))


# -- the kinds --------------------------------------------------------------------------


@dataclass(frozen=True)
class CreateVolume(Operation):
    """A new volume from a snapshot. Kept whatever happens: there is no undo."""

    command = "createVolume"
    API = (("snapshot_id", "snapshotid"), ("name", "name"), ("disk_offering_id", "diskofferingid"),
           ("size_gib", "size"), ("zone_id", "zoneid"))
    snapshot_id: str
    name: str
    disk_offering_id: str | None = None
    size_gib: int | None = None
    zone_id: str | None = None

    async def send(self, client: CloudClient) -> Sent:
        return await client.create_volume_from_snapshot(
            self.snapshot_id, name=self.name, disk_offering_id=self.disk_offering_id,
            zone_id=self.zone_id, size_gib=self.size_gib)

    async def inspect(self, client: CloudClient, look: Look) -> Inspection:
        # Ours is known by the id its call returned (or its job's); only a call whose
        # answer was lost looks further (`lost_create`).
        if look.mine:
            vol = await volume_or_none(client, look.mine)
            if vol is None:
                return Inspection(blocked=f"the volume this restore created ({look.mine}) is gone")
            return volume_progress(vol)
        same = [v for v in await client.volumes(name=self.name) if v.name == self.name]
        if look.sent_unanswered:
            found = await lost_create(client, self.command, look, {v.id: v for v in same})
            if found is not None:
                return volume_progress(found)
        snap = await client.snapshot(self.snapshot_id)
        if snap is None or not snap.backed_up:
            return Inspection(blocked="the snapshot is not BackedUp")
        return Inspection(known=sorted({*(look.rec.get("known") or []), *(v.id for v in same)}))


@dataclass(frozen=True)
class StopVm(Operation):
    command = "stopVirtualMachine"
    API = (("vm_id", "id"),)
    vm_id: str

    async def send(self, client: CloudClient) -> Sent:
        return await client.stop_vm(self.vm_id)

    async def inspect(self, client: CloudClient, look: Look) -> Inspection:
        vm = await client.virtual_machine(self.vm_id)
        if vm is None:
            return Inspection(blocked="the VM no longer exists")
        if vm.state == "Stopped":
            return Inspection(done=True)
        if vm.state in BUSY_VM_STATES or vm.raw.get("jobid"):
            return Inspection(busy=True)
        return Inspection() if vm.running else Inspection(blocked=f"{vm.name} is {vm.state}")

    def undo(self, produced: str | None = None) -> Operation:
        return StartVm(self.vm_id)


@dataclass(frozen=True)
class StartVm(Operation):
    command = "startVirtualMachine"
    API = (("vm_id", "id"),)
    vm_id: str

    async def send(self, client: CloudClient) -> Sent:
        return await client.start_vm(self.vm_id)

    async def inspect(self, client: CloudClient, look: Look) -> Inspection:
        vm = await client.virtual_machine(self.vm_id)
        if vm is None:
            return Inspection(blocked="the VM no longer exists")
        if vm.state == "Running":
            return Inspection(done=True)
        if vm.state in BUSY_VM_STATES or vm.raw.get("jobid"):
            return Inspection(busy=True)
        if not vm.stopped:
            return Inspection(blocked=f"{vm.name} is {vm.state}")
        if not any(v.deviceid == 0 and v.is_root for v in await client.volumes_of(vm.id)):
            return Inspection(blocked=f"{vm.name} has no ROOT disk at device 0")
        return Inspection()

    def undo(self, produced: str | None = None) -> Operation:
        return StopVm(self.vm_id)


@dataclass(frozen=True)
class DetachVolume(Operation):
    """Detach a disk; `vm_id` and `device_id` (context, not sent) say where it was, for the
    re-attach that undoes it."""

    command = "detachVolume"
    API = (("volume_id", "id"),)
    volume_id: str
    vm_id: str = ""
    device_id: int | None = None

    async def send(self, client: CloudClient) -> Sent:
        return await client.detach_volume(self.volume_id)

    async def inspect(self, client: CloudClient, look: Look) -> Inspection:
        vol = await volume_or_none(client, self.volume_id)
        if vol is None:
            return Inspection(blocked=f"volume {self.volume_id} no longer exists")
        if not vol.attached:
            return Inspection(done=True)
        if vol.raw.get("jobid"):
            return Inspection(busy=True)
        return await vm_allows(client, vol.virtualmachineid, root=vol.is_root)

    def undo(self, produced: str | None = None) -> Operation | None:
        return AttachVolume(self.volume_id, self.vm_id, self.device_id) if self.vm_id else None


@dataclass(frozen=True)
class AttachVolume(Operation):
    """Attach a disk, at `device_id` (0: as the root) or the next free device (None)."""

    command = "attachVolume"
    API = (("volume_id", "id"), ("vm_id", "virtualmachineid"), ("device_id", "deviceid"))
    volume_id: str
    vm_id: str
    device_id: int | None = None

    async def send(self, client: CloudClient) -> Sent:
        return await client.attach_volume(self.volume_id, self.vm_id, device_id=self.device_id)

    async def inspect(self, client: CloudClient, look: Look) -> Inspection:
        vol = await volume_or_none(client, self.volume_id)
        if vol is None:
            return Inspection(blocked=f"volume {self.volume_id} no longer exists")
        dev = None if self.device_id is None else int(self.device_id)
        if vol.virtualmachineid == self.vm_id and (dev is None or vol.deviceid == dev):
            return Inspection(done=True)
        if vol.raw.get("jobid") or vol.state in BUSY_VOLUME_STATES - {"Allocated"}:
            return Inspection(busy=True)
        if vol.attached:
            return Inspection(blocked=f"{vol.name} is attached to {vol.vmname or 'a VM'}")
        if vol.state not in ("Ready", "Allocated"):
            return Inspection(blocked=f"{vol.name} is {vol.state}")
        allowed = await vm_allows(client, self.vm_id, root=dev == 0)
        if allowed.blocked or dev is None:
            return allowed
        taken = [v for v in await client.volumes_of(self.vm_id) if v.deviceid == dev]
        if taken:
            return Inspection(blocked=f"device {dev} is taken by {taken[0].name}")
        return allowed

    def undo(self, produced: str | None = None) -> Operation:
        return DetachVolume(self.volume_id, self.vm_id, self.device_id)


@dataclass(frozen=True)
class RenameVolume(Operation):
    """updateVolume with a name; `old_name` (context) is what the undo renames it back to."""

    command = "updateVolume"
    API = (("volume_id", "id"), ("name", "name"))
    volume_id: str
    name: str
    old_name: str = ""

    async def send(self, client: CloudClient) -> Sent:
        return await client.rename_volume(self.volume_id, self.name)

    async def inspect(self, client: CloudClient, look: Look) -> Inspection:
        vol = await volume_or_none(client, self.volume_id)
        if vol is None:
            return Inspection(blocked=f"volume {self.volume_id} no longer exists")
        if vol.name == self.name:
            return Inspection(done=True)
        if vol.raw.get("jobid"):
            return Inspection(busy=True)
        return Inspection()

    def undo(self, produced: str | None = None) -> Operation | None:
        return RenameVolume(self.volume_id, self.old_name, self.name) if self.old_name else None


@dataclass(frozen=True)
class RevertSnapshot(Operation):
    """A volume reverted in place: what was written since is lost, so there is no undo."""

    command = "revertSnapshot"
    API = (("snapshot_id", "id"),)
    snapshot_id: str

    async def send(self, client: CloudClient) -> Sent:
        return await client.revert_snapshot(self.snapshot_id)

    async def inspect(self, client: CloudClient, look: Look) -> Inspection:
        snap = await client.snapshot(self.snapshot_id)
        if snap is None:
            return Inspection(blocked="the snapshot no longer exists")
        if snap.raw.get("jobid"):
            return Inspection(busy=True)
        vol = await client.volume(snap.volumeid)
        if vol is None or vol.state != "Ready":
            return Inspection(blocked="the volume is not Ready")
        if vol.attached:
            return await vm_allows(client, vol.virtualmachineid, root=True)
        return Inspection()


@dataclass(frozen=True)
class DeleteVmSnapshot(Operation):
    command = "deleteVMSnapshot"
    API = (("vm_snapshot_id", "vmsnapshotid"),)
    vm_snapshot_id: str

    async def send(self, client: CloudClient) -> Sent:
        return await client.delete_vm_snapshot(self.vm_snapshot_id)

    async def inspect(self, client: CloudClient, look: Look) -> Inspection:
        try:
            found = await client.vm_snapshots(vmsnapshotid=self.vm_snapshot_id)
        except CloudError as err:  # a deleted id names nothing: 431, not an empty list
            if err.kind is not ErrorKind.PARAM:
                raise
            found = []
        if not found:
            return Inspection(done=True)
        if found[0].state in ("Expunging", "Creating", "Reverting") or found[0].raw.get("jobid"):
            return Inspection(busy=True)
        return Inspection()


@dataclass(frozen=True)
class CreateSnapshotPolicy(Operation):
    command = "createSnapshotPolicy"
    API = (("volume_id", "volumeid"), ("interval", "intervaltype"), ("schedule", "schedule"),
           ("timezone", "timezone"), ("maxsnaps", "maxsnaps"))
    volume_id: str
    interval: str
    schedule: str
    timezone: str
    maxsnaps: int

    async def send(self, client: CloudClient) -> Sent:
        return await client.create_snapshot_policy(
            self.volume_id, interval=self.interval, schedule=self.schedule,
            timezone=self.timezone, maxsnaps=int(self.maxsnaps))

    async def inspect(self, client: CloudClient, look: Look) -> Inspection:
        vol = await volume_or_none(client, self.volume_id)
        if vol is None:
            return Inspection(blocked=f"volume {self.volume_id} no longer exists")
        for pol in await client.snapshot_policies(vol.id):
            if pol.interval == self.interval.upper() and pol.schedule == self.schedule \
                    and pol.volumeid == vol.id:
                return Inspection(done=True, found=pol.id)
        if vol.state in BUSY_VOLUME_STATES:
            return Inspection(busy=True)
        if vol.state != "Ready":
            return Inspection(blocked=f"{vol.name} is {vol.state}")
        return Inspection()

    def undo(self, produced: str | None = None) -> Operation | None:
        return DeleteSnapshotPolicies(f"${produced}") if produced else None


@dataclass(frozen=True)
class DeleteSnapshotPolicies(Operation):
    """Delete policies by id; `recreate` (context) is the policy as it was, for the undo."""

    command = "deleteSnapshotPolicies"
    API = (("ids", "ids"),)
    ids: str  # comma-separated, as the API takes them
    recreate: CreateSnapshotPolicy | None = None

    async def send(self, client: CloudClient) -> Sent:
        await client.delete_snapshot_policies(self.ids.split(","))
        return None

    async def inspect(self, client: CloudClient, look: Look) -> Inspection:
        left = []
        for pid in self.ids.split(","):
            try:
                left += await client.list_all("listSnapshotPolicies", "snapshotpolicy", id=pid)
            except CloudError as err:  # a deleted id names nothing: 431, not an empty list
                if err.kind is not ErrorKind.PARAM:
                    raise
        return Inspection(done=not left)

    def undo(self, produced: str | None = None) -> Operation | None:
        return self.recreate

    def context(self) -> dict[str, Any]:
        return {"recreate": self.recreate.to_dict()} if self.recreate is not None else {}

    @classmethod
    def from_parts(cls, params: Mapping[str, Any], context: Mapping[str, Any]) -> Self:
        again = context.get("recreate")
        recreate = operation_from_dict(again) if again else None
        if recreate is not None and not isinstance(recreate, CreateSnapshotPolicy):
            raise ValueError(f"deleteSnapshotPolicies cannot be undone by {recreate.command}")
        return cls(str(params["ids"]), recreate)


@dataclass(frozen=True)
class CreateTemplate(Operation):
    """A template from a snapshot. Kept whatever happens: there is no undo."""

    command = "createTemplate"
    API = (("snapshot_id", "snapshotid"), ("name", "name"), ("displaytext", "displaytext"),
           ("ostype_id", "ostypeid"))
    snapshot_id: str
    name: str
    ostype_id: str
    displaytext: str | None = None

    async def send(self, client: CloudClient) -> Sent:
        return await client.create_template_from_snapshot(
            self.snapshot_id, name=self.name, ostype_id=self.ostype_id,
            displaytext=self.displaytext)

    async def inspect(self, client: CloudClient, look: Look) -> Inspection:
        return await inspect_made(
            client, self.command, look, self.name, list(await client.templates("self")),
            lambda t: Inspection(done=t.isready, busy=not t.isready, found=t.id))


@dataclass(frozen=True)
class DeployVm(Operation):
    """A new VM from a template. Kept whatever happens: there is no undo."""

    command = "deployVirtualMachine"
    API = (("template_id", "templateid"), ("zone_id", "zoneid"),
           ("service_offering_id", "serviceofferingid"), ("network_id", "networkids"),
           ("name", "name"))
    template_id: str
    zone_id: str | None = None
    service_offering_id: str | None = None
    network_id: str | None = None
    name: str | None = None

    async def send(self, client: CloudClient) -> Sent:
        return await client.deploy_vm(
            template_id=self.template_id, zone_id=str(self.zone_id),
            service_offering_id=str(self.service_offering_id), name=self.name,
            network_ids=[self.network_id] if self.network_id else None)

    async def inspect(self, client: CloudClient, look: Look) -> Inspection:
        vm = await client.virtual_machine(look.mine) if look.mine else None
        items = [vm] if vm is not None else await client.virtual_machines(name=self.name)
        return await inspect_made(client, self.command, look, self.name or "", items,
                                  _vm_progress)


def _vm_progress(vm: Any) -> Inspection:
    busy = vm.state in BUSY_VM_STATES
    return Inspection(done=vm.running, busy=busy, found=vm.id,
                      blocked="" if vm.running or busy else f"{vm.name} is {vm.state}")


@dataclass(frozen=True)
class UnknownOperation(Operation):
    """A command this version does not know (a journal from another one): never sent."""

    command: str  # type: ignore[misc]
    raw: dict[str, Any] = field(default_factory=dict)
    API: ClassVar[tuple[tuple[str, str], ...]] = ()

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.raw)

    async def send(self, client: CloudClient) -> Sent:
        raise CloudError(self.command, f"the restore runner cannot run {self.command}",
                         kind=ErrorKind.PROTOCOL)

    async def inspect(self, client: CloudClient, look: Look) -> Inspection:
        return Inspection(blocked=f"cannot check {self.command}")

    def context(self) -> dict[str, Any]:
        return {}


KINDS: dict[str, type[Operation]] = {k.command: k for k in (
    CreateVolume, StopVm, StartVm, DetachVolume, AttachVolume, RenameVolume, RevertSnapshot,
    DeleteVmSnapshot, CreateSnapshotPolicy, DeleteSnapshotPolicies, CreateTemplate, DeployVm,
)}
