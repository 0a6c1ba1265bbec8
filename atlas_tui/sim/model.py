"""The resources the simulator keeps, as plain mutable records.

Objects refer to each other directly (a volume holds its VM, a snapshot its volume), so a
deleted volume still gives its snapshots their ``volumename``. ``dbid`` is the internal numeric
id that some server error texts print; ``id`` is the UUID clients see.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

INTERVALS = ("HOURLY", "DAILY", "WEEKLY", "MONTHLY")  # policy intervaltype ordinals 0..3
RECURRING = frozenset(INTERVALS)
GIB = 1024**3

# Volume format per hypervisor; only QCOW2 snapshots are revertable (DefaultSnapshotStrategy).
FORMAT_BY_HYPERVISOR = {"KVM": "QCOW2", "XenServer": "VHD", "VMware": "OVA", "Simulator": "QCOW2"}
ROOT_DETACH_HYPERVISORS = frozenset({"XenServer", "VMware", "KVM", "Simulator"})


@dataclass(slots=True, eq=False)
class Zone:
    id: str
    dbid: int
    name: str
    networktype: str  # Advanced | Basic
    description: str = ""
    networks: list[Network] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class Network:
    id: str
    name: str
    zone: Zone
    cidr: str
    created: datetime


@dataclass(slots=True, eq=False)
class ServiceOffering:
    id: str
    name: str
    displaytext: str
    cpunumber: int
    cpuspeed: int
    memory: int
    created: datetime


@dataclass(slots=True, eq=False)
class DiskOffering:
    id: str
    name: str
    displaytext: str
    disksize: int  # GiB, 0 when customised
    iscustomized: bool
    created: datetime


@dataclass(slots=True, eq=False)
class OsType:
    id: str
    description: str
    category_id: str
    category_name: str


@dataclass(slots=True, eq=False)
class Template:
    id: str
    dbid: int
    name: str
    displaytext: str
    ostype: OsType
    zone: Zone | None  # None: cross-zone
    hypervisor: str
    format: str
    size: int
    created: datetime
    owned: bool  # owned by the caller's account ("self")
    public: bool
    featured: bool
    ready: bool = True
    templatetype: str = "USER"
    source_snapshot: Snapshot | None = None
    job_id: str | None = None


@dataclass(slots=True, eq=False)
class Vm:
    id: str
    dbid: int
    name: str
    displayname: str
    state: str
    zone: Zone
    hypervisor: str
    template: Template
    offering: ServiceOffering
    created: datetime
    ipaddress: str
    network: Network | None
    nic_id: str
    host_name: str
    volumes: list[Volume] = field(default_factory=list)
    vmsnapshots: list[VmSnapshot] = field(default_factory=list)
    job_id: str | None = None

    @property
    def instancename(self) -> str:
        return f"i-2-{self.dbid}-VM"

    def root(self) -> Volume | None:
        for vol in self.volumes:
            if vol.type == "ROOT":
                return vol
        return None

    def live_vmsnapshots(self) -> list[VmSnapshot]:
        """``findByVm``: every VM snapshot that is not Removed (Error ones count too)."""
        return [s for s in self.vmsnapshots if s.state != "Removed"]


@dataclass(slots=True, eq=False)
class Volume:
    id: str
    dbid: int
    name: str
    type: str  # ROOT | DATADISK
    state: str
    size: int
    zone: Zone
    hypervisor: str
    storage: str | None  # primary pool name; None until first attached
    created: datetime
    disk_offering: DiskOffering | None = None
    vm: Vm | None = None
    deviceid: int | None = None
    attached: datetime | None = None
    template: Template | None = None
    offering: ServiceOffering | None = None
    source_snapshot_id: str | None = None
    removed: bool = False
    inactive_since: datetime | None = None  # detached, or VM not running, since this time
    job_id: str | None = None

    @property
    def format(self) -> str:
        return FORMAT_BY_HYPERVISOR.get(self.hypervisor, "RAW")


@dataclass(slots=True, eq=False)
class Snapshot:
    id: str
    dbid: int
    name: str
    volume: Volume
    type: str  # MANUAL | HOURLY | DAILY | WEEKLY | MONTHLY
    state: str
    created: datetime
    virtualsize: int
    physicalsize: int
    ostype: OsType | None
    job_id: str | None = None

    @property
    def revertable(self) -> bool:
        return self.volume.format == "QCOW2"


@dataclass(slots=True, eq=False)
class Policy:
    id: str
    dbid: int
    volume: Volume
    interval: int  # 0..3
    schedule: str
    timezone: str
    maxsnaps: int
    created: datetime
    next_run: datetime | None = None
    generation: int = 0  # bumps on every upsert so stale scheduler events are ignored


@dataclass(slots=True, eq=False)
class VmSnapshot:
    id: str
    dbid: int
    name: str
    displayname: str
    description: str | None
    state: str
    type: str  # Disk | DiskAndMemory
    vm: Vm
    created: datetime
    current: bool = False
    parent: VmSnapshot | None = None
    job_id: str | None = None


@dataclass(slots=True, eq=False)
class Job:
    id: str
    dbid: int
    command: str
    cmd_class: str
    created: datetime
    instance_type: str | None
    instance_id: str | None
    status: int = 0  # 0 pending, 1 succeeded, 2 failed
    result_code: int = 0
    result: dict[str, object] | None = None
    completed: datetime | None = None
