"""Initial worlds: ``empty`` (zones, offerings, OS types, templates), ``demo`` (a realistic
account showing every feature), ``scale:N`` (N VMs, ~3 volumes each, ~10 snapshots per
volume, some policies; 10,000 VMs seed in a few seconds) and ``hostile`` (a small account
whose every free-text field carries markup, terminal escapes and the like: see
``seed_hostile`` and ``HOSTILE``).

Demo names tests may rely on (ids are UUIDs, deterministic for a given ``rng_seed``; the zone and
network ids below are fixed):

* zones ``atlas-is1`` (Advanced, id ``ZONE_ADVANCED_ID``, guest network ``ops-net`` id
  ``NETWORK_ID``) and ``atlas-is2-basic`` (Basic, id ``ZONE_BASIC_ID``)
* ``hello-atlas`` KVM Running: ``ROOT-42`` (20 GiB) and ``DATA-42`` (50 GiB). ROOT-42 has the
  Atlas guide's policy DAILY ``03:00`` UTC keep 7 (runs at 00:03 UTC) with its 7 DAILY snapshots
  plus 2 MANUAL; DATA-42 has DAILY ``00:03`` Europe/Oslo keep 7 and HOURLY ``15`` UTC keep 6,
  with their snapshots and one MANUAL snapshot in Error.
* ``web-01`` KVM Running: ``ROOT-43`` (WEEKLY ``30:02:1`` Europe/Oslo keep 4), ``DATA-43``
  (MONTHLY ``00:04:1`` UTC keep 3)
* ``db-01`` KVM Stopped: ``ROOT-44``, ``DATA-44`` (no policies; one snapshot in Error)
* ``app-01`` KVM Running with VM snapshots ``before-upgrade`` (Disk) and ``pre-kernel-update``
  (DiskAndMemory, current): ``ROOT-45``
* ``win-fileserver`` XenServer Running (snapshots not revertable): ``ROOT-46`` (DAILY ``30:01``
  UTC keep 5), ``DATA-46`` with a MANUAL snapshot stuck in Creating for 5 hours
* ``legacy-xen`` XenServer Stopped: ``ROOT-47``; ``vmw-reports`` VMware Stopped: ``ROOT-48``
* ``basic-web`` KVM Running in the Basic zone: ``ROOT-49``
* ``scratch-data``: a detached DATADISK (no policy); ``old-logs``: a deleted volume whose 3
  snapshots remain (orphans)
* disk offerings ``Small 5 GB``, ``Medium 20 GB``, ``Large 50 GB``, ``XL 100 GB``, ``Custom``;
  service offerings ``Small Instance``, ``Medium Instance``, ``Large Instance``; ~10 OS types;
  featured templates (``Ubuntu 22.04`` KVM, ``Windows Server 2022`` XenServer, ...) and the
  account's own ``web-golden``.
"""

from __future__ import annotations

import base64
import random
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from .model import (
    GIB,
    INTERVALS,
    DiskOffering,
    Network,
    OsType,
    Policy,
    ServiceOffering,
    Snapshot,
    Template,
    Vm,
    VmSnapshot,
    Volume,
    Zone,
)
from .schedule import next_run

if TYPE_CHECKING:
    from .core import SimCore
    from .state import SimState

ZONE_ADVANCED_ID = "1c8e4f20-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
ZONE_BASIC_ID = "2d9f5a31-6b7c-4d8e-9f0a-1b2c3d4e5f60"
NETWORK_ID = "1bf4c2a0-6d3e-4f5a-8b7c-9d0e1f2a3b4c"

OS_TYPES = [
    ("Ubuntu 22.04 LTS", "Ubuntu"),
    ("Ubuntu 24.04 LTS", "Ubuntu"),
    ("Debian GNU/Linux 12 (64-bit)", "Debian"),
    ("CentOS 7", "CentOS"),
    ("Rocky Linux 9", "RedHat"),
    ("Red Hat Enterprise Linux 9", "RedHat"),
    ("Windows Server 2019 (64-bit)", "Windows"),
    ("Windows Server 2022 (64-bit)", "Windows"),
    ("FreeBSD 13 (64-bit)", "FreeBSD"),
    ("Other Linux (64-bit)", "Other"),
]
TEMPLATES = [  # name, os, hypervisor, size GiB
    ("Ubuntu 22.04", "Ubuntu 22.04 LTS", "KVM", 10),
    ("Ubuntu 24.04", "Ubuntu 24.04 LTS", "KVM", 10),
    ("Debian 12", "Debian GNU/Linux 12 (64-bit)", "KVM", 8),
    ("Rocky Linux 9", "Rocky Linux 9", "KVM", 10),
    ("Windows Server 2022", "Windows Server 2022 (64-bit)", "XenServer", 40),
    ("CentOS 7", "CentOS 7", "XenServer", 10),
    ("Ubuntu 22.04 (VMware)", "Ubuntu 22.04 LTS", "VMware", 12),
]


class Builder:
    def __init__(self, core: SimCore) -> None:
        self.core = core
        self.state = core.state
        self.now = core.state.clock.now()
        self.rng = random.Random(f"seed-{core.state.rng.random()}")
        self.os_by_name: dict[str, OsType] = {}
        self.tpl_by_name: dict[str, Template] = {}
        self.so_by_name: dict[str, ServiceOffering] = {}
        self.do_by_name: dict[str, DiskOffering] = {}
        self.zone_by_name: dict[str, Zone] = {}

    def ago(self, **kw: float) -> datetime:
        return self.now - timedelta(**kw)

    # catalogue -----------------------------------------------------------------------------
    def base(self) -> None:
        """The catalogue every seed starts from: zones, offerings, OS types, templates."""
        created = self.ago(days=400)
        self._zones(created)
        self._offerings(created)
        self._os_types_and_templates(created)

    def _zones(self, created: datetime) -> None:
        s = self.state
        for zid, name, kind in (
            (ZONE_ADVANCED_ID, "atlas-is1", "Advanced"),
            (ZONE_BASIC_ID, "atlas-is2-basic", "Basic"),
        ):
            z = Zone(zid, s.new_dbid("zone"), name, kind, f"{kind} zone {name}")
            s.zones[z.id] = z
            self.zone_by_name[name] = z
        adv = self.zone_by_name["atlas-is1"]
        net = Network(NETWORK_ID, "ops-net", adv, "10.1.1.0/24", created)
        adv.networks.append(net)
        s.networks[net.id] = net

    def _offerings(self, created: datetime) -> None:
        s = self.state
        for name, cpu, mem in (
            ("Small Instance", 1, 1024),
            ("Medium Instance", 2, 4096),
            ("Large Instance", 4, 8192),
        ):
            o = ServiceOffering(
                s.new_uuid(), name, f"{name}: {cpu} vCPU, {mem} MB", cpu, 2000, mem, created
            )
            s.service_offerings[o.id] = o
            self.so_by_name[name] = o
        for name, size in (
            ("Small 5 GB", 5),
            ("Medium 20 GB", 20),
            ("Large 50 GB", 50),
            ("XL 100 GB", 100),
            ("Custom", 0),
        ):
            d = DiskOffering(s.new_uuid(), name, name + " disk", size, size == 0, created)
            s.disk_offerings[d.id] = d
            self.do_by_name[name] = d

    def _os_types_and_templates(self, created: datetime) -> None:
        s = self.state
        categories: dict[str, str] = {}
        for desc, cat in OS_TYPES:
            cat_id = categories.setdefault(cat, str(uuid.uuid5(uuid.NAMESPACE_DNS, cat + ".os")))
            os_type = OsType(s.new_uuid(), desc, cat_id, cat)
            s.ostypes[os_type.id] = os_type
            self.os_by_name[desc] = os_type
        for name, os_name, hyp, size in TEMPLATES:
            t = Template(
                id=s.new_uuid(),
                dbid=s.new_dbid("template", 200),
                name=name,
                displaytext=name,
                ostype=self.os_by_name[os_name],
                zone=None,
                hypervisor=hyp,
                format={"KVM": "QCOW2", "XenServer": "VHD", "VMware": "OVA"}[hyp],
                size=size * GIB,
                created=created,
                owned=False,
                public=True,
                featured=True,
                templatetype="BUILTIN" if name == "CentOS 7" else "USER",
            )
            s.templates[t.id] = t
            self.tpl_by_name[name] = t

    # resources -----------------------------------------------------------------------------
    def vm(
        self,
        name: str,
        dbid: int,
        hyp_tpl: str,
        offering: str,
        vm_state: str,
        zone: str = "atlas-is1",
        created_days: float = 120,
    ) -> Vm:
        s = self.state
        z = self.zone_by_name[zone]
        tpl = self.tpl_by_name[hyp_tpl]
        v = Vm(
            id=s.new_uuid(),
            dbid=dbid,
            name=name,
            displayname=name,
            state=vm_state,
            zone=z,
            hypervisor=tpl.hypervisor,
            template=tpl,
            offering=self.so_by_name[offering],
            created=self.ago(days=created_days),
            ipaddress=f"10.1.1.{dbid % 250 + 2}",
            network=z.networks[0] if z.networks else None,
            nic_id=s.new_uuid(),
            host_name=f"{tpl.hypervisor.lower()}-host-0{dbid % 3 + 1}",
        )
        s.vms[v.id] = v
        return v

    def volume(
        self,
        name: str,
        size_gib: int,
        vm: Vm | None,
        deviceid: int | None,
        vtype: str = "DATADISK",
        hypervisor: str | None = None,
        offering: str | None = None,
        created_days: float = 120,
    ) -> Volume:
        s = self.state
        hyp = hypervisor or (vm.hypervisor if vm else "KVM")
        created = self.ago(days=created_days)
        vol = Volume(
            id=s.new_uuid(),
            dbid=s.new_dbid("volume", 5000),
            name=name,
            type=vtype,
            state="Ready",
            size=size_gib * GIB,
            zone=vm.zone if vm else self.zone_by_name["atlas-is1"],
            hypervisor=hyp,
            storage=f"{hyp.lower()}-primary-01",
            created=created,
            disk_offering=self.do_by_name.get(offering) if offering else None,
            vm=vm,
            deviceid=deviceid,
            attached=created if vm else None,
            template=vm.template if vm and vtype == "ROOT" else None,
            offering=vm.offering if vm and vtype == "ROOT" else None,
        )
        if vm is not None:
            vm.volumes.append(vol)
            if vm.state != "Running":
                vol.inactive_since = self.ago(days=2)
        else:
            vol.inactive_since = self.ago(days=15)
        s.volumes[vol.id] = vol
        return vol

    def snapshot(
        self,
        vol: Volume,
        kind: str,
        created: datetime,
        state: str = "BackedUp",
        name: str | None = None,
    ) -> Snapshot:
        s = self.state
        prefix = vol.vm.name if vol.vm else "detached"
        snap = Snapshot(
            id=s.new_uuid(),
            dbid=s.new_dbid("snapshot", 1000),
            name=name or f"{prefix}_{vol.name}_{created.strftime('%Y%m%d%H%M%S')}",
            volume=vol,
            type=kind,
            state=state,
            created=created,
            virtualsize=vol.size,
            physicalsize=0
            if state in ("Allocated", "Creating")
            else int(vol.size * self.rng.uniform(0.12, 0.65)),
            ostype=vol.template.ostype if vol.type == "ROOT" and vol.template else None,
        )
        s.add_snapshot(snap)
        return snap

    def policy(
        self,
        vol: Volume,
        interval: str,
        schedule: str,
        tz: str,
        keep: int,
        history: int | None = None,
    ) -> Policy:
        """A policy, its past runs as snapshots (newest ``history``), and its next run armed."""
        s = self.state
        idx = INTERVALS.index(interval)
        pol = Policy(
            s.new_uuid(), s.new_dbid("policy"), vol, idx, schedule, tz, keep, self.ago(days=200)
        )
        s.policies[pol.id] = pol
        count = keep if history is None else history
        span = {
            0: timedelta(hours=1),
            1: timedelta(days=1),
            2: timedelta(days=7),
            3: timedelta(days=31),
        }[idx]
        t = self.now - span * (count + 1)
        runs: list[datetime] = []
        while True:
            t = next_run(idx, schedule, tz, t)
            if t > self.now:
                break
            runs.append(t)
        for at in runs[-count:] if count else []:
            self.snapshot(vol, interval, at + timedelta(seconds=self.rng.randint(1, 40)))
        self.core.scheduler.arm(pol, next_run(idx, schedule, tz, self.now))
        return pol

    def vm_snapshot(
        self,
        vm: Vm,
        display: str,
        description: str,
        kind: str,
        created: datetime,
        parent: VmSnapshot | None = None,
        current: bool = False,
    ) -> VmSnapshot:
        """A Ready VM snapshot, named as the server names them."""
        s = self.state
        vs = VmSnapshot(
            s.new_uuid(),
            s.new_dbid("vmsnapshot"),
            f"{vm.instancename}_VS_{_stamp(created)}",
            display,
            description,
            "Ready",
            kind,
            vm,
            created,
            current=current,
            parent=parent,
        )
        vm.vmsnapshots.append(vs)
        s.vmsnapshots[vs.id] = vs
        return vs

    def remove_volume(self, vol: Volume) -> None:
        """Deleted: gone from the lists, its snapshots stay (orphans)."""
        vol.removed = True
        vol.state = "Expunged"
        self.state.volumes.pop(vol.id)
        self.state.removed_volumes[vol.id] = vol

    def finish(self) -> None:
        s = self.state
        ordered = sorted(s.snapshots.values(), key=lambda x: (x.created, x.dbid))
        s.snapshots.clear()
        s.snapshots_by_volume.clear()
        for snap in ordered:
            s.add_snapshot(snap)
        s.touch()


def seed_empty(core: SimCore) -> Builder:
    b = Builder(core)
    b.base()
    b.finish()
    return b


def seed_demo(core: SimCore) -> None:
    """The account the module's docstring describes, VM by VM."""
    b = Builder(core)
    b.base()
    _demo_hello_atlas(b)
    golden_src = _demo_web(b)
    _demo_db(b)
    _demo_app(b)
    _demo_windows(b)
    _demo_stopped_and_basic(b)
    _demo_detached(b)
    _demo_golden_template(b, golden_src)
    b.finish()


def _demo_hello_atlas(b: Builder) -> None:
    hello = b.vm("hello-atlas", 42, "Ubuntu 22.04", "Small Instance", "Running", created_days=90)
    root42 = b.volume("ROOT-42", 20, hello, 0, "ROOT", created_days=90)
    data42 = b.volume("DATA-42", 50, hello, 1, offering="Large 50 GB", created_days=90)
    b.policy(root42, "DAILY", "03:00", "UTC", 7)  # the Atlas guide's policy: runs at 00:03
    b.snapshot(root42, "MANUAL", b.ago(days=3, hours=5), name="hello-atlas-before-upgrade")
    b.snapshot(root42, "MANUAL", b.ago(days=45))
    b.policy(data42, "DAILY", "00:03", "Europe/Oslo", 7)  # really 03:00 Oslo
    b.policy(data42, "HOURLY", "15", "UTC", 6)
    b.snapshot(data42, "MANUAL", b.ago(days=10, hours=2), state="Error")
    b.snapshot(data42, "MANUAL", b.ago(minutes=25))


def _demo_web(b: Builder) -> Snapshot:
    """web-01, and the snapshot its golden template was made from."""
    web = b.vm("web-01", 43, "Ubuntu 24.04", "Medium Instance", "Running", created_days=200)
    root43 = b.volume("ROOT-43", 30, web, 0, "ROOT", created_days=200)
    data43 = b.volume("DATA-43", 100, web, 1, offering="XL 100 GB", created_days=200)
    b.policy(root43, "WEEKLY", "30:02:1", "Europe/Oslo", 4)
    b.policy(data43, "MONTHLY", "00:04:1", "UTC", 3)
    return b.snapshot(root43, "MANUAL", b.ago(days=60), name="web-01-golden")


def _demo_db(b: Builder) -> None:
    db = b.vm("db-01", 44, "Debian 12", "Large Instance", "Stopped", created_days=150)
    root44 = b.volume("ROOT-44", 20, db, 0, "ROOT", created_days=150)
    data44 = b.volume("DATA-44", 200, db, 1, offering="Custom", created_days=150)
    b.snapshot(root44, "MANUAL", b.ago(days=2, hours=1), name="db-01-pre-maintenance")
    b.snapshot(root44, "MANUAL", b.ago(days=20), state="Error")
    b.snapshot(data44, "MANUAL", b.ago(days=2, minutes=50))


def _demo_app(b: Builder) -> None:
    app = b.vm("app-01", 45, "Rocky Linux 9", "Medium Instance", "Running", created_days=100)
    root45 = b.volume("ROOT-45", 25, app, 0, "ROOT", created_days=100)
    b.snapshot(root45, "MANUAL", b.ago(days=14))
    first = b.vm_snapshot(app, "before-upgrade", "taken while stopped for the OS upgrade",
                          "Disk", b.ago(days=6))
    b.vm_snapshot(app, "pre-kernel-update", "pre kernel update", "DiskAndMemory",
                  b.ago(hours=20), parent=first, current=True)


def _demo_windows(b: Builder) -> None:
    win = b.vm(
        "win-fileserver", 46, "Windows Server 2022", "Large Instance", "Running", created_days=300
    )
    root46 = b.volume("ROOT-46", 60, win, 0, "ROOT", created_days=300)
    data46 = b.volume("DATA-46", 100, win, 1, offering="XL 100 GB", created_days=300)
    b.policy(root46, "DAILY", "30:01", "UTC", 5)
    b.snapshot(data46, "MANUAL", b.ago(days=30))
    b.snapshot(data46, "MANUAL", b.ago(hours=5), state="Creating")  # stuck: its job was lost


def _demo_stopped_and_basic(b: Builder) -> None:
    """legacy-xen and vmw-reports (stopped), basic-web in the Basic zone."""
    legacy = b.vm("legacy-xen", 47, "CentOS 7", "Small Instance", "Stopped", created_days=700)
    root47 = b.volume("ROOT-47", 10, legacy, 0, "ROOT", created_days=700)
    b.snapshot(root47, "MANUAL", b.ago(days=180))
    b.snapshot(root47, "MANUAL", b.ago(days=95))

    vmw = b.vm(
        "vmw-reports", 48, "Ubuntu 22.04 (VMware)", "Medium Instance", "Stopped", created_days=250
    )
    root48 = b.volume("ROOT-48", 16, vmw, 0, "ROOT", created_days=250)
    b.snapshot(root48, "MANUAL", b.ago(days=33))

    basic = b.vm("basic-web", 49, "Debian 12", "Small Instance", "Running",
                 zone="atlas-is2-basic", created_days=80)
    root49 = b.volume("ROOT-49", 8, basic, 0, "ROOT", created_days=80)
    b.snapshot(root49, "MANUAL", b.ago(days=1, hours=3))


def _demo_detached(b: Builder) -> None:
    """scratch-data (detached) and old-logs (deleted; its snapshots remain)."""
    scratch = b.volume(
        "scratch-data", 20, None, None, hypervisor="KVM", offering="Medium 20 GB", created_days=20
    )
    b.snapshot(scratch, "MANUAL", b.ago(days=16))

    old = b.volume(
        "old-logs", 50, None, None, hypervisor="KVM", offering="Large 50 GB", created_days=90
    )
    b.snapshot(old, "DAILY", b.ago(days=12, hours=1))
    b.snapshot(old, "DAILY", b.ago(days=11, hours=1))
    b.snapshot(old, "MANUAL", b.ago(days=40))
    b.remove_volume(old)


def _demo_golden_template(b: Builder, source: Snapshot) -> None:
    s = b.state
    golden = Template(
        id=s.new_uuid(),
        dbid=s.new_dbid("template", 200),
        name="web-golden",
        displaytext="web-01 golden image",
        ostype=b.os_by_name["Ubuntu 24.04 LTS"],
        zone=b.zone_by_name["atlas-is1"],
        hypervisor="KVM",
        format="QCOW2",
        size=source.virtualsize,
        created=b.ago(days=59),
        owned=True,
        public=False,
        featured=False,
        source_snapshot=source,
    )
    s.templates[golden.id] = golden


def _stamp(t: datetime) -> str:
    return f"{t.year:04d}{t.month:02d}{t.day:02d}{t.hour:02d}{t.minute:02d}{t.second:02d}"


def seed_scale(core: SimCore, n: int) -> None:
    """n VMs, 3 volumes each, ~10 snapshots per volume, a DAILY policy on every 10th volume."""
    b = Builder(core)
    b.base()
    ScaleSeeder(b).seed(n)


class ScaleSeeder:
    """Builds rows directly with running dbids (not through the Builder's helpers) and files
    the snapshots once, in creation order: 10,000 VMs seed in a few seconds."""

    def __init__(self, b: Builder) -> None:
        self.b = b
        self.state = b.state
        self.zone = b.zone_by_name["atlas-is1"]
        self.kvm_tpl = b.tpl_by_name["Ubuntu 22.04"]
        self.xen_tpl = b.tpl_by_name["Windows Server 2022"]
        self.offering = b.so_by_name["Medium Instance"]
        self.data_offering = b.do_by_name["Large 50 GB"]
        self.pending: list[Snapshot] = []
        self.vol_dbid = 5000
        self.snap_dbid = 1000

    def seed(self, n: int) -> None:
        s = self.state
        for i in range(n):
            vm = self.vm(i)
            storage = f"{vm.hypervisor.lower()}-primary-{i % 8:02d}"
            for d in range(3):
                vol = self.volume(vm, i, d, storage)
                self.snapshots(vm, vol, i)
                if (i * 3 + d) % 10 == 0:
                    self.policy(vol, i, d)
        s.reserve_dbids("volume", self.vol_dbid + 1)
        s.reserve_dbids("snapshot", self.snap_dbid + 1)
        self.pending.sort(key=lambda x: x.created)
        snapshots, by_volume = s.snapshots, s.snapshots_by_volume
        for snap in self.pending:
            snapshots[snap.id] = snap
            by_volume.setdefault(snap.volume.id, []).append(snap)
        s.touch()

    def vm(self, i: int) -> Vm:
        """Every 5th VM is XenServer, every 4th is Stopped."""
        s = self.state
        tpl = self.xen_tpl if i % 5 == 4 else self.kvm_tpl
        vm = Vm(
            id=s.new_uuid(),
            dbid=1000 + i,
            name=f"vm-{i:05d}",
            displayname=f"vm-{i:05d}",
            state="Running" if i % 4 != 3 else "Stopped",
            zone=self.zone,
            hypervisor=tpl.hypervisor,
            template=tpl,
            offering=self.offering,
            created=self.b.now - timedelta(days=200),
            ipaddress=f"10.{1 + i // 62500}.{i // 250 % 250}.{i % 250 + 2}",
            network=self.zone.networks[0],
            nic_id=s.new_uuid(),
            host_name=f"host-{i % 40:02d}",
        )
        s.vms[vm.id] = vm
        return vm

    def volume(self, vm: Vm, i: int, d: int, storage: str) -> Volume:
        """Device 0 is ROOT-<dbid> (20 GiB), 1 and 2 are DATA-<dbid>-<d> (50 GiB)."""
        self.vol_dbid += 1
        root = d == 0
        vol = Volume(
            id=self.state.new_uuid(),
            dbid=self.vol_dbid,
            name=f"ROOT-{vm.dbid}" if root else f"DATA-{vm.dbid}-{d}",
            type="ROOT" if root else "DATADISK",
            state="Ready",
            size=(20 if root else 50) * GIB,
            zone=self.zone,
            hypervisor=vm.hypervisor,
            storage=storage,
            created=vm.created,
            disk_offering=None if root else self.data_offering,
            vm=vm,
            deviceid=d,
            attached=vm.created,
            template=vm.template if root else None,
            offering=self.offering if root else None,
            inactive_since=None if vm.state == "Running" else self.b.now - timedelta(days=1),
        )
        vm.volumes.append(vol)
        self.state.volumes[vol.id] = vol
        return vol

    def snapshots(self, vm: Vm, vol: Volume, i: int) -> None:
        """8 to 12 a day back from now, every 3rd one DAILY, the rest MANUAL."""
        rng, now, new_uuid, size = self.b.rng, self.b.now, self.state.new_uuid, vol.size
        ostype = vol.template.ostype if vol.template is not None else None
        prefix = f"{vm.name}_{vol.name}_"
        for k in range(rng.randint(8, 12)):
            self.snap_dbid += 1
            created = now - timedelta(hours=k * 24 + rng.randint(0, 20), minutes=i % 60)
            self.pending.append(
                Snapshot(
                    new_uuid(),
                    self.snap_dbid,
                    prefix + _stamp(created),
                    vol,
                    "MANUAL" if k % 3 else "DAILY",
                    "BackedUp",
                    created,
                    size,
                    int(size * (0.12 + (k * 7 + i) % 50 / 100)),
                    ostype,
                )
            )

    def policy(self, vol: Volume, i: int, d: int) -> None:
        s, now = self.state, self.b.now
        pol = Policy(
            s.new_uuid(),
            s.new_dbid("policy"),
            vol,
            1,
            f"{i % 60}:{d + 1}",
            "UTC",
            7,
            now - timedelta(days=100),
        )
        s.policies[pol.id] = pol
        self.b.core.scheduler.arm(pol, next_run(1, pol.schedule, "UTC", now))


# What anyone in a shared account can type into a name, and a proxy into an error text.
# Each carries a marker word, so a test can find it on screen or in the terminal's bytes.
HOSTILE_CLIPBOARD = "atlas-hostile-clipboard"  # the text the OSC 52 below would copy
HOSTILE_CLIPBOARD_B64 = base64.b64encode(HOSTILE_CLIPBOARD.encode()).decode()
HOSTILE_TITLE = "atlas-hostile-title"
HOSTILE_CLICK_FILE = "atlas-hostile-click.svg"  # what the screenshot action would write
HOSTILE = {
    "markup": "[bold red]MARKUP[/bold red] [link=https://example.invalid]l[/link]",
    "unbalanced": "x[/]y[",
    "click_quit": "[@click=app.quit]CLICKQUIT[/]",
    "click_file": f"[@click=app.screenshot('{HOSTILE_CLICK_FILE}','.')]CLICKFILE[/]",
    "osc52": f"clip\x1b]52;c;{HOSTILE_CLIPBOARD_B64}\x07board",
    "osc0": f"title\x1b]0;{HOSTILE_TITLE}\x07bar",
    "csi": "cls\x1b[2J\x1b[3J\x1b[Hafter",
    "c1": "c1\x9b2Jcsi",
    "bidi": "bidi\u202etxt.exe\u2066x\u2069",
    "zero_width": "zero\u200bwidth\u200d\ufeff",
    "paste_end": "paste\x1b[201~; echo pwned\r",
    "newline": "two\nlines\r\nhere",
    "long": "L" * 4990 + "-5000chars",
}


def hostile(key: str, suffix: str = "") -> str:
    return HOSTILE[key] + suffix


def seed_hostile(core: SimCore) -> None:
    """A small account where every free-text string is hostile (names, display names,
    descriptions, templates, offerings, OS types, the zone). Policy timezones and schedules
    stay valid: the server validates them. Kept small so a walk over every screen is quick.

    * VM ``HOSTILE["unbalanced"]`` (KVM Running): ROOT ``osc52``-named with a DAILY policy
      (schedule ``03:00``, which runs at 00:03, so `f` offers a fix) and BackedUp snapshots; a
      DATADISK named ``click_quit`` with a MANUAL BackedUp snapshot named ``click_file``;
      a VM snapshot (Disk) named ``csi`` described ``osc0``.
    * VM ``HOSTILE["click_quit"]`` (KVM Stopped): ROOT ``bidi`` with snapshots named
      ``newline`` and ``long``, one of them stuck in Creating.
    * VM ``HOSTILE["long"]`` (KVM Running): ROOT ``zero_width``, snapshot ``c1``.
    * a detached DATADISK ``markup`` with a snapshot ``paste_end``.
    """
    b = Builder(core)
    b.base()
    _hostile_catalogue(core.state)
    _hostile_vms(b)
    loose = b.volume(hostile("markup"), 5, None, None, hypervisor="KVM", offering="Small 5 GB",
                     created_days=10)
    b.snapshot(loose, "MANUAL", b.ago(days=6), name=hostile("paste_end"))
    b.finish()


def _hostile_catalogue(s: SimState) -> None:
    """The catalogue, hostile too: zones, offerings, OS types, templates."""
    for i, zone in enumerate(s.zones.values()):
        zone.name = hostile("osc0" if i == 0 else "markup", f"-zone{i}")
        zone.description = hostile("csi")
    for i, net in enumerate(s.networks.values()):
        net.name = hostile("unbalanced", f"-net{i}")
    for i, so in enumerate(s.service_offerings.values()):
        so.name = hostile(("click_quit", "unbalanced", "bidi")[i % 3], f"-so{i}")
        so.displaytext = hostile("osc52")
    for i, do in enumerate(s.disk_offerings.values()):
        do.name = hostile(("unbalanced", "markup")[i % 2], f"-do{i}")
        do.displaytext = hostile("c1")
    keys = list(HOSTILE)
    for i, os_type in enumerate(s.ostypes.values()):
        os_type.description = hostile(keys[i % len(keys)], f"-os{i}")
    for i, tpl in enumerate(s.templates.values()):
        tpl.name = hostile(keys[(i + 3) % len(keys)], f"-tpl{i}")
        tpl.displaytext = hostile("osc0")


def _hostile_vms(b: Builder) -> None:
    def named(vm: Vm, display: str) -> Vm:
        vm.displayname = hostile(display)
        vm.host_name = hostile("csi", "-host")
        return vm

    one = named(b.vm(hostile("unbalanced"), 61, "Ubuntu 22.04", "Small Instance", "Running",
                     created_days=60), "markup")
    root1 = b.volume(hostile("osc52", "-ROOT"), 20, one, 0, "ROOT", created_days=60)
    data1 = b.volume(hostile("click_quit", "-DATA"), 50, one, 1, offering="Large 50 GB",
                     created_days=60)
    b.policy(root1, "DAILY", "03:00", "UTC", 3)  # runs at 00:03: `f` has a fix to offer
    b.snapshot(root1, "MANUAL", b.ago(days=2), name=hostile("unbalanced", "-snap"))
    b.snapshot(data1, "MANUAL", b.ago(days=1), name=hostile("click_file"))
    b.vm_snapshot(one, hostile("csi"), hostile("osc0"), "Disk", b.ago(days=3))

    two = named(b.vm(hostile("click_quit"), 62, "Debian 12", "Medium Instance", "Stopped",
                     created_days=90), "osc52")
    root2 = b.volume(hostile("bidi"), 10, two, 0, "ROOT", created_days=90)
    b.snapshot(root2, "MANUAL", b.ago(days=5), name=hostile("newline"))
    b.snapshot(root2, "MANUAL", b.ago(days=4), name=hostile("long"))
    b.snapshot(root2, "MANUAL", b.ago(hours=3), state="Creating", name=hostile("osc0"))

    three = named(b.vm(hostile("long"), 63, "Ubuntu 22.04", "Small Instance", "Running",
                       created_days=30), "newline")
    root3 = b.volume(hostile("zero_width"), 8, three, 0, "ROOT", created_days=30)
    b.snapshot(root3, "MANUAL", b.ago(hours=30), name=hostile("c1"))


def apply_seed(core: SimCore, seed: str) -> None:
    if seed == "empty":
        seed_empty(core)
    elif seed == "demo":
        seed_demo(core)
    elif seed == "hostile":
        seed_hostile(core)
    elif seed.startswith("scale:"):
        try:
            n = int(seed.split(":", 1)[1])
        except ValueError:
            raise ValueError(f"seed {seed!r}: scale needs a number, e.g. scale:1000") from None
        if n < 0:
            raise ValueError(f"seed {seed!r}: the number of VMs must be >= 0")
        seed_scale(core, n)
    else:
        raise ValueError(f"unknown seed {seed!r}: use demo, empty, hostile or scale:N")
