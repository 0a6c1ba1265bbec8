"""Typed models validated from the API's real JSON shapes, at one boundary.

Each model has a wire shape (a `msgspec.Struct` that says which fields the answer must or may
carry, and of which type) and is built from it by `parse`. An answer that does not fit (a
wrong type, a missing id, a `null` where an object belongs) becomes one `CloudError` naming
the command, "the answer to listVolumes was not understood: ...", never an AttributeError
in a screen. The shapes are as lenient as the real server is varied: Gson drops nulls (so
every field but the id may be absent, and a `null` counts as absent), numbers and booleans
may come as strings in some versions (`"12"`, `"true"`), dates are `yyyy-MM-ddTHH:mm:ss+0000`
with any offset (one that does not read is no date, as before).

Every model keeps the raw dict it came from (`raw`), so the detail pane can show every
field with its exact value, while the rest of the app works with typed attributes. (The
inventory's instances and volumes keep it compressed, read back when asked: a `RawView`,
see cloud/raw_archive.py.) Strings
were already made safe before the answer was decoded (atlas_tui.cloud.api.text).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum, StrEnum
from types import GenericAlias
from typing import Annotated, Any, ClassVar, Self, TypeVar

import msgspec

from atlas_tui.cloud.api.errors import CloudError, ErrorKind

Raw = dict[str, Any]
# What an inventory model keeps of its answer: the dict, or the same read back from a
# compressed page (cloud/raw_archive.py).
RawView = Mapping[str, Any]

DATE_FORMAT = "%Y-%m-%dT%H:%M:%S%z"

# Wire field types. An id must be a non-empty string; everything else may be absent or null.
# The wire shapes are `gc=False`: they live for one parse, and decoded JSON has no cycles.
_Id = Annotated[str, msgspec.Meta(min_length=1)]
_Text = str | None
_Number = int | None
_Flag = bool | None


def parse_date(value: Any) -> datetime | None:
    """`yyyy-MM-ddTHH:mm:ss+0000`, the server's only date shape (no colon in the offset)."""
    if not isinstance(value, str) or not value:
        return None
    # Fast path for exactly that shape: the account-wide fold reads 300,000 of these, and
    # fromisoformat (3.11+ reads `+0000`) takes ~0.3 µs where strptime takes ~12 µs.
    if len(value) == 24 and value[10] == "T" and value[19] in "+-":
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    try:
        return datetime.strptime(value, DATE_FORMAT)
    except ValueError:
        try:  # tolerate ISO forms with a colon or a Z, as some proxies rewrite them
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None


_M = TypeVar("_M")


def malformed(command: str, what: str) -> CloudError:
    """The one error for an answer that does not have the shape its command promises."""
    return CloudError(command, what, kind=ErrorKind.MALFORMED)


def _check(d: Any, shape: Any, command: str, where: str) -> Any:
    """`d` checked against its wire shape (numbers and booleans may be strings)."""
    try:  # types as the server writes them: the common case, and twice as fast
        return msgspec.convert(d, shape)
    except msgspec.ValidationError:
        pass
    try:
        return msgspec.convert(d, shape, strict=False)
    except msgspec.ValidationError as e:
        text = str(e)
        if where != "$":  # msgspec's path starts at `$`: start it at the item or list instead
            at = " - at `$"
            if at in text:
                text = text.replace(at, f" - at `{where}", 1)
            else:
                text = f"{text} - at `{where}`"
        raise malformed(command, text) from None


_new = object.__new__
_set = object.__setattr__


def _build(cls: type[_M], fields: dict[str, Any]) -> _M:
    """`cls(**fields)` for a frozen dataclass, without its __init__, which sets each field
    through object.__setattr__: that alone costs more than the whole validation, and an
    account can hold hundreds of thousands of items. `fields` names every field
    (test_models checks it for every model); the instance is as frozen as one built by
    __init__."""
    obj = _new(cls)
    if cls.__dictoffset__:
        _set(obj, "__dict__", fields)
    else:  # a slots dataclass (the inventory's models: ~300 bytes less each, no dict)
        for name, value in fields.items():
            _set(obj, name, value)
    return obj


_T = TypeVar("_T", bound="_Model")


class _Model:
    """What every model shares: `parse`, by its wire shape `_wire` and `_from_wire`."""

    __slots__ = ()  # so that a `slots=True` model has no __dict__ either

    _wire: ClassVar[type[msgspec.Struct]]
    _command: ClassVar[str]  # the command its answers usually come from, for the error

    @classmethod
    def parse(cls, d: Any, command: str | None = None, where: str = "$") -> Self:
        """One answer object as this model, or a CloudError naming the command."""
        return cls._from_wire(_check(d, cls._wire, command or cls._command, where), d)

    @classmethod
    def _from_wire(cls, w: Any, d: Raw) -> Self:
        raise NotImplementedError


def parse_items(model: type[_T], items: Any, command: str, key: str = "item") -> list[_T]:
    """Every item of a list answer as a `model`, or one CloudError naming the command and
    the first item that does not fit (`volume[3].name`). The list is checked in one call,
    which costs less than item by item."""
    wires = _check(items, GenericAlias(list, (model._wire,)), command, key)  # list[model._wire]
    build = model._from_wire
    return [build(w, d) for w, d in zip(wires, items, strict=True)]


class SnapshotState(StrEnum):
    ALLOCATED = "Allocated"
    CREATING = "Creating"
    CREATED_ON_PRIMARY = "CreatedOnPrimary"
    BACKING_UP = "BackingUp"
    BACKED_UP = "BackedUp"
    COPYING = "Copying"
    DESTROYING = "Destroying"
    DESTROYED = "Destroyed"
    ERROR = "Error"


IN_PROGRESS_SNAPSHOT_STATES = frozenset(
    {
        SnapshotState.ALLOCATED.value,
        SnapshotState.CREATING.value,
        SnapshotState.CREATED_ON_PRIMARY.value,
        SnapshotState.BACKING_UP.value,
    }
)


class _ZoneWire(msgspec.Struct, gc=False):
    id: _Id
    name: _Text = None
    networktype: _Text = None


@dataclass(frozen=True)
class Zone(_Model):
    id: str
    name: str
    networktype: str
    raw: Raw = field(repr=False, compare=False)

    _wire = _ZoneWire
    _command = "listZones"

    @classmethod
    def _from_wire(cls, w: _ZoneWire, d: Raw) -> Zone:
        return _build(cls, {"id": w.id, "name": w.name or "", "networktype": w.networktype or "",
                            "raw": d})


class _NetworkWire(msgspec.Struct, gc=False):
    id: _Id
    name: _Text = None


@dataclass(frozen=True)
class Network(_Model):
    """A network, read only to check a listNetworks answer (the plan keeps its raw dict)."""
    id: str
    name: str
    raw: Raw = field(repr=False, compare=False)

    _wire = _NetworkWire
    _command = "listNetworks"

    @classmethod
    def _from_wire(cls, w: _NetworkWire, d: Raw) -> Network:
        return _build(cls, {"id": w.id, "name": w.name or "", "raw": d})


class _VirtualMachineWire(msgspec.Struct, gc=False):
    id: _Id
    name: _Text = None
    displayname: _Text = None
    state: _Text = None
    zoneid: _Text = None
    zonename: _Text = None
    hypervisor: _Text = None
    templateid: _Text = None
    ostypeid: _Text = None
    guestosid: _Text = None
    serviceofferingid: _Text = None
    serviceofferingname: _Text = None
    created: _Text = None


@dataclass(frozen=True, slots=True)  # 10,000s of them in an inventory
class VirtualMachine(_Model):
    id: str
    name: str
    displayname: str
    state: str
    zoneid: str
    zonename: str
    hypervisor: str
    templateid: str
    ostypeid: str
    serviceofferingid: str
    serviceofferingname: str
    created: datetime | None
    raw: RawView = field(repr=False, compare=False)

    _wire = _VirtualMachineWire
    _command = "listVirtualMachines"

    @classmethod
    def _from_wire(cls, w: _VirtualMachineWire, d: Raw) -> VirtualMachine:
        return _build(cls, {
            "id": w.id,
            "name": w.name or "",
            "displayname": w.displayname or w.name or "",
            "state": w.state or "",
            "zoneid": w.zoneid or "",
            "zonename": w.zonename or "",
            "hypervisor": w.hypervisor or "",
            "templateid": w.templateid or "",
            "ostypeid": w.ostypeid or w.guestosid or "",
            "serviceofferingid": w.serviceofferingid or "",
            "serviceofferingname": w.serviceofferingname or "",
            "created": parse_date(w.created),
            "raw": d,
        })

    @property
    def running(self) -> bool:
        return self.state == "Running"

    @property
    def stopped(self) -> bool:
        return self.state == "Stopped"


class _VolumeWire(msgspec.Struct, gc=False):
    id: _Id
    name: _Text = None
    type: _Text = None
    state: _Text = None
    size: _Number = None
    deviceid: _Number = None
    virtualmachineid: _Text = None
    vmname: _Text = None
    vmstate: _Text = None
    hypervisor: _Text = None
    zoneid: _Text = None
    diskofferingid: _Text = None
    storagetype: _Text = None
    created: _Text = None


@dataclass(frozen=True, slots=True)
class Volume(_Model):
    id: str
    name: str
    type: str  # ROOT or DATADISK
    state: str
    size: int | None
    deviceid: int | None
    virtualmachineid: str
    vmname: str
    vmstate: str
    hypervisor: str
    zoneid: str
    diskofferingid: str
    storagetype: str
    created: datetime | None
    raw: RawView = field(repr=False, compare=False)

    _wire = _VolumeWire
    _command = "listVolumes"

    @classmethod
    def _from_wire(cls, w: _VolumeWire, d: Raw) -> Volume:
        return _build(cls, {
            "id": w.id,
            "name": w.name or "",
            "type": w.type or "",
            "state": w.state or "",
            "size": w.size,
            "deviceid": w.deviceid,
            "virtualmachineid": w.virtualmachineid or "",
            "vmname": w.vmname or "",
            "vmstate": w.vmstate or "",
            "hypervisor": w.hypervisor or "",
            "zoneid": w.zoneid or "",
            "diskofferingid": w.diskofferingid or "",
            "storagetype": w.storagetype or "",
            "created": parse_date(w.created),
            "raw": d,
        })

    @property
    def is_root(self) -> bool:
        return self.type == "ROOT"

    @property
    def attached(self) -> bool:
        return bool(self.virtualmachineid)


class _SnapshotWire(msgspec.Struct, gc=False):
    id: _Id
    name: _Text = None
    state: _Text = None
    intervaltype: _Text = None
    snapshottype: _Text = None
    volumeid: _Text = None
    volumename: _Text = None
    volumetype: _Text = None
    created: _Text = None
    physicalsize: _Number = None
    virtualsize: _Number = None
    revertable: _Flag = None
    zoneid: _Text = None
    ostypeid: _Text = None


@dataclass(frozen=True)
class Snapshot(_Model):
    id: str
    name: str
    state: str
    intervaltype: str  # MANUAL, HOURLY, DAILY, WEEKLY, MONTHLY (string in snapshots)
    volumeid: str
    volumename: str
    volumetype: str
    created: datetime | None
    physicalsize: int | None
    virtualsize: int | None
    revertable: bool
    zoneid: str
    ostypeid: str
    raw: Raw = field(repr=False, compare=False)

    _wire = _SnapshotWire
    _command = "listSnapshots"

    @classmethod
    def _from_wire(cls, w: _SnapshotWire, d: Raw) -> Snapshot:
        # 4.19+ list items may lack `snapshottype`; `intervaltype` is the reliable one.
        kind = w.intervaltype or w.snapshottype or "MANUAL"
        return _build(cls, {
            "id": w.id,
            "name": w.name or "",
            "state": w.state or "",
            "intervaltype": kind.upper(),
            "volumeid": w.volumeid or "",
            "volumename": w.volumename or "",
            "volumetype": w.volumetype or "",
            "created": parse_date(w.created),
            "physicalsize": w.physicalsize,
            "virtualsize": w.virtualsize,
            "revertable": bool(w.revertable),
            "zoneid": w.zoneid or "",
            "ostypeid": w.ostypeid or "",
            "raw": d,
        })

    @property
    def backed_up(self) -> bool:
        return self.state == SnapshotState.BACKED_UP.value

    @property
    def in_progress(self) -> bool:
        return self.state in IN_PROGRESS_SNAPSHOT_STATES

    @property
    def failed(self) -> bool:
        return self.state == SnapshotState.ERROR.value


class SnapshotTally(msgspec.Struct, gc=False):
    """What the account-wide fold reads of a snapshot, and nothing else: the instance and
    volume lists show counts, sizes and the newest date, never a snapshot's own fields.

    A wire shape used as the model itself: a page of 500 is decoded straight into these
    (`CloudClient.pages(..., as_type=SnapshotTally)`), validated as `Snapshot` would be, and
    the other twenty fields of each item are never built. `gc=False`: 300,000 of them pass
    through a load, and the garbage collector need not look at any."""

    id: _Id
    volumeid: _Text = None
    volumename: _Text = None
    state: _Text = None
    intervaltype: _Text = None
    snapshottype: _Text = None
    created: _Text = None
    physicalsize: _Number = None
    size: _Number = None  # older servers give `size` instead of physicalsize
    virtualsize: _Number = None

    def stored_bytes(self) -> int | None:
        """As `sizes.stored_bytes` reads a raw snapshot: physicalsize, else size, else
        virtualsize; a negative number is no size."""
        for value in (self.physicalsize, self.size, self.virtualsize):
            if value is not None and value >= 0:
                return value
        return None


INTERVAL_NAMES = ("HOURLY", "DAILY", "WEEKLY", "MONTHLY")


class _SnapshotPolicyWire(msgspec.Struct, gc=False):
    id: _Id
    volumeid: _Text = None
    volumename: _Text = None
    schedule: _Text = None
    intervaltype: int | str | None = None  # a number 0-3 on the wire; a name in some shapes
    maxsnaps: _Number = None
    timezone: _Text = None


@dataclass(frozen=True, slots=True)
class SnapshotPolicy(_Model):
    id: str
    volumeid: str
    volumename: str
    schedule: str
    interval: str  # HOURLY..MONTHLY; the API sends a number 0-3 here
    maxsnaps: int
    timezone: str
    # The account's policies (3,000 at 10,000 instances) keep theirs archived once loaded
    # (Inventory._load_policies, cloud/raw_archive.py): a dict of ~12 entries each.
    raw: RawView = field(repr=False, compare=False)

    _wire = _SnapshotPolicyWire
    _command = "listSnapshotPolicies"

    @classmethod
    def _from_wire(cls, w: _SnapshotPolicyWire, d: Raw) -> SnapshotPolicy:
        value = w.intervaltype
        if isinstance(value, str) and value.isascii() and value.isdigit():
            value = int(value)
        if isinstance(value, int) and 0 <= value < len(INTERVAL_NAMES):
            interval = INTERVAL_NAMES[value]
        else:  # a name, or a number this client does not know: shown as it came
            interval = "" if value is None else str(value).upper()
        return _build(cls, {
            "id": w.id,
            "volumeid": w.volumeid or "",
            "volumename": w.volumename or "",
            "schedule": w.schedule or "",
            "interval": interval,
            "maxsnaps": w.maxsnaps or 0,
            "timezone": w.timezone or "",
            "raw": d,
        })


class _VMSnapshotWire(msgspec.Struct, gc=False):
    id: _Id
    name: _Text = None
    displayname: _Text = None
    description: _Text = None
    state: _Text = None
    type: _Text = None
    current: _Flag = None
    parentName: _Text = None  # the wire's spelling (older servers: parentname)
    parentname: _Text = None
    created: _Text = None
    virtualmachineid: _Text = None
    virtualmachinename: _Text = None
    hypervisor: _Text = None


@dataclass(frozen=True)
class VMSnapshot(_Model):
    id: str
    name: str
    displayname: str
    description: str
    state: str
    type: str  # Disk or DiskAndMemory
    current: bool
    parent_name: str
    created: datetime | None
    virtualmachineid: str
    virtualmachinename: str
    hypervisor: str
    raw: Raw = field(repr=False, compare=False)

    _wire = _VMSnapshotWire
    _command = "listVMSnapshot"

    @classmethod
    def _from_wire(cls, w: _VMSnapshotWire, d: Raw) -> VMSnapshot:
        return _build(cls, {
            "id": w.id,
            "name": w.name or "",
            "displayname": w.displayname or w.name or "",
            "description": w.description or "",
            "state": w.state or "",
            "type": w.type or "",
            "current": bool(w.current),
            "parent_name": w.parentName or w.parentname or "",
            "created": parse_date(w.created),
            "virtualmachineid": w.virtualmachineid or "",
            "virtualmachinename": w.virtualmachinename or "",
            "hypervisor": w.hypervisor or "",
            "raw": d,
        })

    @property
    def with_memory(self) -> bool:
        return self.type == "DiskAndMemory"


class JobStatus(int, Enum):
    PENDING = 0
    SUCCEEDED = 1
    FAILED = 2
    CANCELLED = 3


_JOB_STATUSES = {s.value: s for s in JobStatus}


class _AsyncJobWire(msgspec.Struct, gc=False):
    jobid: _Id
    jobstatus: int  # a Java primitive: always written
    cmd: _Text = None
    jobresultcode: _Number = None
    jobresult: Any = None
    jobinstancetype: _Text = None
    jobinstanceid: _Text = None
    created: _Text = None
    completed: _Text = None


@dataclass(frozen=True)
class AsyncJob(_Model):
    jobid: str
    status: JobStatus
    cmd: str
    resultcode: int
    result: Raw | None
    instancetype: str
    instanceid: str
    created: datetime | None
    completed: datetime | None
    raw: Raw = field(repr=False, compare=False)

    _wire = _AsyncJobWire
    _command = "queryAsyncJobResult"

    @classmethod
    def _from_wire(cls, w: _AsyncJobWire, d: Raw) -> AsyncJob:
        result = w.jobresult
        return _build(cls, {
            "jobid": w.jobid,
            # A status this client does not know is not a success to wait on for ever.
            "status": _JOB_STATUSES.get(w.jobstatus, JobStatus.FAILED),
            "cmd": w.cmd or "",
            "resultcode": w.jobresultcode or 0,
            "result": result if isinstance(result, dict) else None,
            "instancetype": w.jobinstancetype or "",
            "instanceid": w.jobinstanceid or "",
            "created": parse_date(w.created),
            "completed": parse_date(w.completed),
            "raw": d,
        })

    @property
    def done(self) -> bool:
        return self.status is not JobStatus.PENDING

    @property
    def succeeded(self) -> bool:
        return self.status is JobStatus.SUCCEEDED and self.resultcode == 0

    @property
    def error_text(self) -> str:
        text = self.result.get("errortext") if self.result else None
        return "" if text is None else str(text)

    @property
    def command_name(self) -> str:
        """`CreateSnapshotCmd` from `org.apache...CreateSnapshotCmd` (admins get ...ByAdmin)."""
        return self.cmd.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class JobStarted:
    """What an async command answers at once: the job id, and for create-type commands
    the id of the entity that already exists."""

    command: str
    jobid: str
    entity_id: str | None = None


class _ServiceOfferingWire(msgspec.Struct, gc=False):
    id: _Id
    name: _Text = None
    cpunumber: _Number = None
    memory: _Number = None


@dataclass(frozen=True)
class ServiceOffering(_Model):
    id: str
    name: str
    cpunumber: int | None
    memory: int | None
    raw: Raw = field(repr=False, compare=False)

    _wire = _ServiceOfferingWire
    _command = "listServiceOfferings"

    @classmethod
    def _from_wire(cls, w: _ServiceOfferingWire, d: Raw) -> ServiceOffering:
        return _build(cls, {"id": w.id, "name": w.name or "", "cpunumber": w.cpunumber,
                            "memory": w.memory, "raw": d})


class _DiskOfferingWire(msgspec.Struct, gc=False):
    id: _Id
    name: _Text = None
    disksize: _Number = None
    iscustomized: _Flag = None


@dataclass(frozen=True)
class DiskOffering(_Model):
    id: str
    name: str
    disksize_gib: int | None  # the API's `disksize` is in GiB; 0 or absent when custom
    customized: bool
    raw: Raw = field(repr=False, compare=False)

    _wire = _DiskOfferingWire
    _command = "listDiskOfferings"

    @classmethod
    def _from_wire(cls, w: _DiskOfferingWire, d: Raw) -> DiskOffering:
        return _build(cls, {"id": w.id, "name": w.name or "", "disksize_gib": w.disksize,
                            "customized": bool(w.iscustomized), "raw": d})


class _OsTypeWire(msgspec.Struct, gc=False):
    id: _Id
    description: _Text = None
    name: _Text = None


@dataclass(frozen=True)
class OsType(_Model):
    id: str
    description: str
    raw: Raw = field(repr=False, compare=False)

    _wire = _OsTypeWire
    _command = "listOsTypes"

    @classmethod
    def _from_wire(cls, w: _OsTypeWire, d: Raw) -> OsType:
        return _build(cls, {"id": w.id, "description": w.description or w.name or "", "raw": d})


class _TemplateWire(msgspec.Struct, gc=False):
    id: _Id
    name: _Text = None
    ostypeid: _Text = None
    isready: _Flag = None
    zoneid: _Text = None


@dataclass(frozen=True)
class Template(_Model):
    id: str
    name: str
    ostypeid: str
    isready: bool
    zoneid: str
    raw: Raw = field(repr=False, compare=False)

    _wire = _TemplateWire
    _command = "listTemplates"

    @classmethod
    def _from_wire(cls, w: _TemplateWire, d: Raw) -> Template:
        return _build(cls, {"id": w.id, "name": w.name or "", "ostypeid": w.ostypeid or "",
                            "isready": bool(w.isready), "zoneid": w.zoneid or "", "raw": d})


class _CapabilitiesWire(msgspec.Struct, gc=False):
    cloudstackversion: _Text = None
    kvmsnapshotenabled: _Flag = None


@dataclass(frozen=True)
class Capabilities(_Model):
    cloudstackversion: str
    kvmsnapshotenabled: bool
    raw: Raw = field(repr=False, compare=False)

    _wire = _CapabilitiesWire
    _command = "listCapabilities"

    @classmethod
    def _from_wire(cls, w: _CapabilitiesWire, d: Raw) -> Capabilities:
        return _build(cls, {"cloudstackversion": w.cloudstackversion or "",
                            "kvmsnapshotenabled": bool(w.kvmsnapshotenabled), "raw": d})
