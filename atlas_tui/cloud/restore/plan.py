"""Restore planning: facts in (`gather_context`), a plan out (`plan_*`), nothing run.

A plan is data: ordered `Step`s, each with the operation it runs (`operations`: one class
per kind of call, which knows how to send itself, check itself and undo itself), its
precondition in words, its undo (another `Step`) where one exists, what is down while it runs
and for about how long, plus `Blocker`s that stop the plan from running. The wizard shows the
plan; `runner.RestoreRunner` executes it. Planning reads nothing itself, so every rule here is
testable from hand-made facts.

Values only known while running (the id of the volume being created) are written as
references: ``"$new_volume"`` is the id the step that `produces` "new_volume" got.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import math
import re
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from atlas_tui.cloud.api.client import CloudClient
from atlas_tui.cloud.api.models import (
    DiskOffering,
    Network,
    OsType,
    Raw,
    ServiceOffering,
    Snapshot,
    SnapshotPolicy,
    VirtualMachine,
    VMSnapshot,
    Volume,
    Zone,
    parse_items,
)
from atlas_tui.cloud.restore.operations import (
    AttachVolume,
    CreateSnapshotPolicy,
    CreateTemplate,
    CreateVolume,
    DeleteSnapshotPolicies,
    DeleteVmSnapshot,
    DeployVm,
    DetachVolume,
    Operation,
    RenameVolume,
    RevertSnapshot,
    StartVm,
    StopVm,
    operation_from_dict,
)
from atlas_tui.cloud.schedule.codec import Interval, ScheduleError, decode
from atlas_tui.cloud.schedule.lint import lint
from atlas_tui.cloud.schedule.words import describe
from atlas_tui.cloud.sizes import SizeFact, restored_volume_size

GIB = 1024**3
PLAN_FORMAT = 1
# Hypervisors on which the server lets a ROOT volume be detached and attached (api.md §8.2).
ROOT_SWAP_HYPERVISORS = frozenset({"KVM", "XenServer", "VMware", "Simulator"})

# Rough durations (seconds) used for "down for about ...". Real figures depend on the storage;
# these are what an operator should expect on an ordinary NFS-backed zone.
EST_STOP_S = 20.0
EST_START_S = 30.0
EST_ATTACH_S = 10.0
EST_DETACH_S = 10.0
EST_RENAME_S = 2.0
VOLUME_NAME_MAX = 255  # the server's limit on a volume name
EST_POLICY_S = 1.0
EST_VMSNAP_DELETE_S = 15.0
EST_DEPLOY_S = 90.0


def est_copy_s(size_bytes: int | None, *, base: float = 30.0, per_gib: float = 2.0) -> float:
    """A copy from secondary storage: a fixed start plus a time per GiB."""
    return base + per_gib * (size_bytes or 0) / GIB


class Mode(StrEnum):
    ROOT_SWAP = "root-swap"
    DATA_SWAP = "data-swap"
    ATTACH = "attach"
    REVERT = "revert"
    TEMPLATE = "template"


@dataclass
class Step:
    id: str
    title: str
    call: Operation  # what it runs (the journal keeps its command and parameters)
    precondition: str
    undo: Step | None = None
    down: str = ""  # what is unavailable while this step runs ("" = nothing)
    est_s: float = 0.0  # about how long the step takes
    irreversible: bool = False  # no undo exists and the step destroys something
    produces: str | None = None  # the reference name of what this step creates
    # A failure of an optional step is noted and the run carries on (no rollback); it is
    # for what is nice to have but not worth undoing a restore over (renaming the old disk).
    optional: bool = False

    @property
    def downtime_s(self) -> float:
        return self.est_s if self.down else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "title": self.title, "call": self.call.to_dict(),
            "precondition": self.precondition,
            "undo": self.undo.to_dict() if self.undo is not None else None, "down": self.down,
            "est_s": self.est_s, "irreversible": self.irreversible, "produces": self.produces,
            "optional": self.optional,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Step:
        undo = d.get("undo")
        return cls(
            id=d["id"], title=d["title"], call=operation_from_dict(d["call"]),
            precondition=d.get("precondition", ""),
            undo=cls.from_dict(undo) if undo else None, down=d.get("down", ""),
            est_s=float(d.get("est_s", 0.0)), irreversible=bool(d.get("irreversible")),
            produces=d.get("produces"), optional=bool(d.get("optional", False)),
        )


@dataclass
class Blocker:
    """Why the plan cannot run. `remedy` names an option the user may turn on instead."""

    code: str
    reason: str
    remedy: str = ""
    remedy_option: str = ""


@dataclass
class RestorePlan:
    id: str
    mode: Mode
    created: str
    snapshot: dict[str, Any]  # id, name, state, volume id/name/type, size, created
    vm: dict[str, Any] | None  # id, name, state, hypervisor, zone (the VM acted on)
    steps: list[Step]
    blockers: list[Blocker] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # shown with the plan and with the result
    options: dict[str, Any] = field(default_factory=dict)
    original_root: dict[str, Any] | None = None  # id, name of the root being replaced
    format: int = PLAN_FORMAT

    @property
    def runnable(self) -> bool:
        return not self.blockers

    @property
    def confirm_text(self) -> str:
        """What the user types to confirm: the VM's name (the template's for mode 5)."""
        if self.vm:
            return str(self.vm["name"])
        return str(self.options.get("template_name") or self.snapshot["name"])

    @property
    def downtime_s(self) -> float:
        return sum(s.downtime_s for s in self.steps)

    @property
    def total_s(self) -> float:
        return sum(s.est_s for s in self.steps)

    def step(self, step_id: str) -> Step:
        for s in self.steps:
            if s.id == step_id:
                return s
        raise KeyError(step_id)

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: copy.deepcopy(getattr(self, f.name)) for f in fields(self)}
        out["steps"] = [s.to_dict() for s in self.steps]
        out["blockers"] = [asdict(b) for b in self.blockers]
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RestorePlan:
        return cls(
            id=d["id"], mode=Mode(d["mode"]), created=d["created"], snapshot=d["snapshot"],
            vm=d.get("vm"), steps=[Step.from_dict(s) for s in d["steps"]],
            blockers=[Blocker(**b) for b in d.get("blockers", [])],
            notes=list(d.get("notes", [])), options=dict(d.get("options", {})),
            original_root=d.get("original_root"), format=int(d.get("format", PLAN_FORMAT)),
        )


# -- facts ------------------------------------------------------------------------------


@dataclass
class RestoreContext:
    """Everything planning needs, read from the server in one go."""

    snapshot: Snapshot
    source_volume: Volume | None = None  # None when the volume was deleted (orphan)
    vm: VirtualMachine | None = None  # the VM restored into (default: the volume's VM)
    vm_volumes: list[Volume] = field(default_factory=list)
    vm_snapshots: list[VMSnapshot] = field(default_factory=list)
    policies: list[SnapshotPolicy] = field(default_factory=list)  # of the source volume
    disk_offerings: list[DiskOffering] = field(default_factory=list)
    os_types: list[OsType] = field(default_factory=list)
    zones: list[Zone] = field(default_factory=list)
    service_offerings: list[ServiceOffering] = field(default_factory=list)
    networks: dict[str, list[Raw]] = field(default_factory=dict)  # zone id -> networks
    now: datetime | None = None


async def networks_of(client: CloudClient, zone_id: str) -> list[Raw]:
    """The account's networks in a zone (deploying in an Advanced zone needs one).
    Checked (each has an id, ...): a malformed answer is one CloudError naming listNetworks."""
    raw = await client.list_all("listNetworks", "network", zoneid=zone_id)
    return [n.raw for n in parse_items(Network, raw, "listNetworks", "network")]


async def gather_context(
    client: CloudClient, snapshot_id: str, *, vm_id: str | None = None,
    for_template: bool = False,
) -> RestoreContext:
    """Read the facts for restoring `snapshot_id`, into `vm_id` or the volume's own VM."""
    snap = await client.snapshot(snapshot_id)
    if snap is None:
        raise LookupError(f"snapshot {snapshot_id} not found")
    volume, offerings, policies = await asyncio.gather(
        client.volume(snap.volumeid) if snap.volumeid else _none(),
        client.disk_offerings(),
        client.snapshot_policies(snap.volumeid) if snap.volumeid else _empty(),
    )
    ctx = RestoreContext(snapshot=snap, source_volume=volume, disk_offerings=offerings,
                         policies=[p for p in policies if p.volumeid == snap.volumeid],
                         now=client.server_now())
    target = vm_id or (volume.virtualmachineid if volume is not None else "")
    if target:
        vm, vols, vmsnaps = await asyncio.gather(
            client.virtual_machine(target), client.volumes_of(target),
            client.vm_snapshots_of(target),
        )
        ctx.vm, ctx.vm_volumes, ctx.vm_snapshots = vm, vols, vmsnaps
    if for_template:
        ctx.os_types, ctx.zones, ctx.service_offerings = await asyncio.gather(
            client.os_types(), client.zones(), client.service_offerings()
        )
        for zone in ctx.zones:
            if zone.networktype == "Advanced":
                ctx.networks[zone.id] = await networks_of(client, zone.id)
    return ctx


async def _none() -> None:
    return None


async def _empty() -> list[SnapshotPolicy]:
    return []


# -- helpers ----------------------------------------------------------------------------


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")


_AUTO_NAME = re.compile(r".*_\d{14}$")  # the server's <vm>_<volume>_<yyyyMMddHHmmss>


def snapshot_label(snap: Snapshot) -> str:
    """A short, readable tag for a snapshot: its own name if a person gave one, else its date."""
    if snap.name and not _AUTO_NAME.match(snap.name) and len(snap.name) <= 32:
        return _slug(snap.name)
    if snap.created is not None:
        return snap.created.astimezone(UTC).strftime("%Y%m%d-%H%M")
    return snap.id[:8]


def pick_disk_offering(
    offerings: list[DiskOffering], size_bytes: int
) -> tuple[DiskOffering | None, int | None]:
    """The smallest fixed offering at least `size_bytes`, else a custom one with a size (GiB)."""
    fixed = [o for o in offerings if not o.customized and o.disksize_gib
             and o.disksize_gib * GIB >= size_bytes]
    if fixed:
        return min(fixed, key=lambda o: o.disksize_gib or 0), None
    custom = [o for o in offerings if o.customized]
    if custom:
        return custom[0], max(1, math.ceil(size_bytes / GIB))
    return None, None


def run_tag(plan_id: str) -> str:
    """The short id of one restore run, put in the names of what it creates: CloudStack names
    are not unique, and two runs from the same snapshot must not be told apart by a clock."""
    return plan_id.rsplit("-", 1)[-1][:6] or plan_id[:6]


def created_volume_size(snapshot_size: int, offering: DiskOffering | None,
                        custom_gib: int | None) -> int:
    """The size (bytes) of a volume made from a snapshot, as the server sizes it: the
    snapshot's disk, or the offering's (a fixed size, or the custom size asked), whichever is
    larger (an offering smaller than the snapshot is refused: see the blocker)."""
    if offering is None:
        return snapshot_size
    wanted = (custom_gib or 0) * GIB if offering.customized else (offering.disksize_gib or 0) * GIB
    return max(snapshot_size, wanted)


def gib_text(size: int) -> str:
    gib = size / GIB
    return f"{gib:.0f} GiB" if gib == int(gib) else f"{gib:.1f} GiB"


def policy_in_words(policy: SnapshotPolicy) -> str:
    """A policy as the server will run it, worded as the policies screen words it (same
    codec: ui/policy_text.policy_words)."""
    try:
        schedule = decode(Interval.parse(policy.interval), policy.schedule)
    except (ScheduleError, ValueError):
        return f"{policy.interval.lower()} [{policy.schedule}]? {policy.timezone}"
    return describe(schedule, policy.timezone, policy.maxsnaps)


def policy_advice(policy: SnapshotPolicy) -> tuple[str, str | None]:
    """The first finding about a stored schedule (swapped HH:MM, roll-over) and the fixed
    schedule string to offer, if any."""
    try:
        findings = lint(Interval.parse(policy.interval), policy.schedule, policy.timezone)
    except ValueError:
        return "", None
    if not findings:
        return "", None
    return findings[0].message, findings[0].fix


def _snap_summary(snap: Snapshot) -> dict[str, Any]:
    return {
        "id": snap.id, "name": snap.name, "state": snap.state, "volumeid": snap.volumeid,
        "volumename": snap.volumename, "volumetype": snap.volumetype,
        "size": restored_volume_size(snap, None).bytes,
        "created": snap.created.isoformat() if snap.created else None,
        "revertable": snap.revertable, "zoneid": snap.zoneid, "ostypeid": snap.ostypeid,
        "label": snapshot_label(snap),
    }


def _vm_summary(vm: VirtualMachine) -> dict[str, Any]:
    return {"id": vm.id, "name": vm.name, "state": vm.state, "hypervisor": vm.hypervisor,
            "zoneid": vm.zoneid, "zonename": vm.zonename}


def random_run_tag() -> str:
    return uuid.uuid4().hex[:6]


# Where plan ids get their random part; the screenshot scenes swap in a fixed one so every
# run draws the same picture.
run_tags: list[Callable[[], str]] = [random_run_tag]


def _new_plan(mode: Mode, ctx: RestoreContext, vm: VirtualMachine | None,
              options: dict[str, Any]) -> RestorePlan:
    created = (ctx.now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")
    return RestorePlan(
        id=f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{run_tags[-1]()}", mode=mode,
        created=created, snapshot=_snap_summary(ctx.snapshot),
        vm=_vm_summary(vm) if vm is not None else None, steps=[], options=options,
    )


def _common_blockers(plan: RestorePlan, ctx: RestoreContext) -> None:
    snap = ctx.snapshot
    if not snap.backed_up:
        plan.blockers.append(Blocker(
            "not-backed-up",
            f"Snapshot {snap.name} is {snap.state}: only BackedUp snapshots can be restored.",
        ))


def _vm_blockers(plan: RestorePlan, vm: VirtualMachine | None, vmsnaps: list[VMSnapshot],
                 *, delete_vm_snapshots: bool, what: str) -> list[Step]:
    """Blockers about the VM; returns the deleteVMSnapshot steps when the user opted in."""
    if vm is None:
        plan.blockers.append(Blocker(
            "no-vm",
            "The snapshot's volume is not attached to a VM: choose the VM to restore into.",
        ))
        return []
    if vm.state not in ("Running", "Stopped"):
        plan.blockers.append(Blocker(
            "vm-state", f"{vm.name} is {vm.state}: it must be Running or Stopped.",
        ))
    if not vmsnaps:
        return []
    names = ", ".join(s.displayname or s.name for s in vmsnaps)
    if not delete_vm_snapshots:
        plan.blockers.append(Blocker(
            "vm-snapshots",
            f"{vm.name} has VM snapshots ({names}); the server refuses to {what} while any "
            "exists.",
            remedy=f"delete VM snapshots {names} first (cannot be undone)",
            remedy_option="delete_vm_snapshots",
        ))
        return []
    return [
        Step(
            id=f"delete-vmsnap-{s.id[:8]}",
            title=f"Delete VM snapshot {s.displayname or s.name}",
            call=DeleteVmSnapshot(s.id),
            precondition=f"VM snapshot {s.displayname or s.name} exists and is not busy",
            est_s=EST_VMSNAP_DELETE_S, irreversible=True,
        )
        for s in vmsnaps
    ]


def _inverse(op: Operation, produced: str | None = None) -> Operation:
    """The operation that undoes `op`, for a step that must have one."""
    undo = op.undo(produced)
    if undo is None:
        raise ValueError(f"{op.describe()} has no undo")
    return undo


def _stop_step(vm: VirtualMachine) -> Step:
    stop = StopVm(vm.id)
    return Step(
        id="stop-vm", title=f"Stop {vm.name}", call=stop,
        precondition=f"{vm.name} is Running",
        undo=_start_step(vm, stop.undo()), down=f"{vm.name} (stopping)", est_s=EST_STOP_S,
    )


def _start_step(vm: VirtualMachine, undoing: Operation | None = None) -> Step:
    """Start the VM; `undoing`: the start that undoes a stop (the operation it gave)."""
    start = undoing or StartVm(vm.id)
    return Step(
        id="undo-stop-vm" if undoing else "start-vm",
        title=f"Start {vm.name} again" if undoing else f"Start {vm.name}",
        call=start,
        precondition=f"{vm.name} is Stopped and has a ROOT disk at device 0",
        undo=None if undoing else Step(
            id="undo-start-vm", title=f"Stop {vm.name}", call=_inverse(start),
            precondition=f"{vm.name} is Running", est_s=EST_STOP_S, down=vm.name,
        ),
        down=f"{vm.name} (booting)", est_s=EST_START_S,
    )


def _attach_step(step_id: str, title: str, volume_ref: str, vol_label: str,
                 vm: VirtualMachine, device: int | None, *, undo_detach: bool, down: str = "",
                 ) -> Step:
    attach = AttachVolume(volume_ref, vm.id, device)
    where = f"device {device}" if device is not None else "the next free device"
    pre = f"{vol_label} is Ready and detached; {where} on {vm.name} is free"
    if device == 0:
        pre += f"; {vm.name} is Stopped"
    return Step(
        id=step_id, title=title, call=attach, precondition=pre,
        undo=Step(
            id=f"undo-{step_id}", title=f"Detach {vol_label} from {vm.name}",
            call=attach.undo(),
            precondition=f"{vol_label} is attached to {vm.name}", est_s=EST_DETACH_S, down=down,
        ) if undo_detach else None,
        down=down, est_s=EST_ATTACH_S,
    )


def _detach_step(step_id: str, vol: Volume, vm: VirtualMachine, device: int, *, root: bool,
                 ) -> Step:
    pre = f"{vol.name} is attached to {vm.name} at device {device}"
    if root:
        pre += f"; {vm.name} is Stopped (a ROOT disk is detached only from a stopped VM)"
    detach = DetachVolume(vol.id, vm.id, device)
    return Step(
        id=step_id, title=f"Detach {vol.name} from {vm.name}", call=detach, precondition=pre,
        undo=Step(
            id=f"undo-{step_id}", title=f"Re-attach {vol.name} to {vm.name} at device {device}",
            call=_inverse(detach),
            precondition=f"{vol.name} is detached and device {device} on {vm.name} is free",
            est_s=EST_ATTACH_S, down=vm.name,
        ),
        down=vm.name, est_s=EST_DETACH_S,
    )


def replaced_name(old_name: str, when: datetime) -> str:
    """The name the replaced disk is kept under: its own name first, so it sorts with it,
    then when it was replaced (UTC), e.g. ``ROOT-42-replaced-20261129-0745``."""
    suffix = f"-replaced-{when.astimezone(UTC):%Y%m%d-%H%M}"
    return old_name[:VOLUME_NAME_MAX - len(suffix)] + suffix


def _rename_step(vol: Volume, new_name: str, *, down: str) -> Step:
    # Optional: a server without updateVolume's `name` (or one refusing it) must not undo a
    # restore that otherwise worked; the disk is kept either way.
    rename = RenameVolume(vol.id, new_name, vol.name)
    return Step(
        id="rename-old", title=f"Rename {vol.name} to {new_name}", call=rename,
        precondition=f"{vol.name} exists (optional: if the rename fails, the restore goes on "
                     "and the disk keeps its name)",
        undo=Step(
            id="undo-rename-old", title=f"Rename {new_name} back to {vol.name}",
            call=_inverse(rename),
            precondition=f"{new_name} exists", est_s=EST_RENAME_S, down=down, optional=True,
        ),
        down=down, est_s=EST_RENAME_S, optional=True,
    )


def _create_volume_step(ctx: RestoreContext, name: str, offering: DiskOffering | None,
                        custom_gib: int | None) -> Step:
    snap = ctx.snapshot
    create = CreateVolume(snap.id, name, offering.id if offering is not None else None,
                          custom_gib, snap.zoneid or None)
    fact = restored_volume_size(snap, ctx.source_volume)
    return Step(
        id="create-volume", title=f"Create volume {name} from snapshot {snap.name} "
                                  f"({size_words(fact, offering, custom_gib)})",
        call=create, precondition=f"snapshot {snap.name} is BackedUp",
        est_s=est_copy_s(fact.bytes), produces="new_volume",
    )


def size_words(fact: SizeFact, offering: DiskOffering | None, custom_gib: int | None,
               ) -> str:
    """"50 GiB: disk offering Large 50 GB; the snapshot's disk is 30 GiB (its virtualsize)",
    "20 GiB, the snapshot's virtualsize", or "size unknown": where the size comes from, and
    never a guessed 0."""
    if fact.bytes is None:
        if offering is not None and not offering.customized:
            size = created_volume_size(0, offering, None)
            return f"{gib_text(size)}: disk offering {offering.name}; the snapshot's is unknown"
        return "size unknown: the server gives none"
    size = created_volume_size(fact.bytes, offering, custom_gib)
    if offering is None:
        return f"{gib_text(size)}, {fact.source}"
    how = f"custom size, disk offering {offering.name}" if offering.customized \
        else f"disk offering {offering.name}"
    if size != fact.bytes:
        how += f"; the snapshot's disk is {gib_text(fact.bytes)} (from {fact.source})"
    else:
        how += f", as {fact.source}"
    return f"{gib_text(size)}: {how}"

def source_hypervisor(ctx: RestoreContext) -> str:
    """The hypervisor the snapshot's volume belongs to, from what a regular account is given:
    the snapshot's own field if the server sends one, else the VM its volume is attached to.
    A volume's `hypervisor` is filled for root admins only (VolumeJoinDaoImpl), so it is
    the last resort; "" when unknown (the server then checks it when attaching)."""
    snap_hyper = str(ctx.snapshot.raw.get("hypervisor") or "")
    if snap_hyper and snap_hyper != "None":
        return snap_hyper
    src = ctx.source_volume
    if src is None:
        return ""
    if ctx.vm is not None and src.virtualmachineid and src.virtualmachineid == ctx.vm.id:
        return ctx.vm.hypervisor
    return src.hypervisor if src.hypervisor and src.hypervisor != "None" else ""


def _offering_for_unknown_size(plan: RestorePlan, ctx: RestoreContext,
                               disk_offering_id: str | None) -> DiskOffering | None:
    """No size from the server: never guess one. A fixed offering the user chose is used (the
    server refuses it if it is too small); otherwise the plan asks for one."""
    chosen = next((o for o in ctx.disk_offerings if o.id == disk_offering_id), None)
    if chosen is not None and not chosen.customized:
        plan.notes.append(f"The server gives no size for {ctx.snapshot.name}: the volume gets "
                          f"the size of {chosen.name}; the server refuses it if it is smaller "
                          "than the original disk.")
        return chosen
    plan.blockers.append(Blocker(
        "size-unknown",
        f"The server gives no size for {ctx.snapshot.name} (nor for its volume), and atlas-tui "
        "does not guess one: create the volume with a disk offering of a fixed size at least "
        "that of the original disk (cmk create volume snapshotid=... diskofferingid=...).",
    ))
    return None


def _policy_steps(ctx: RestoreContext, vol_label: str, *, move: bool, delete_old: bool,
                  fix_schedules: bool = False) -> list[Step]:
    """Copy the old volume's policies to the new one (opt-in), then delete the old ones
    (a second opt-in). Both run before anything goes down, and both can be undone. With
    `fix_schedules`, a schedule the lint reads as swapped (guide-style HH:MM) is copied
    fixed."""
    steps: list[Step] = []
    old = ctx.source_volume
    if not move or old is None:
        return steps
    for p in ctx.policies:
        ref = f"policy_{p.interval.lower()}"
        warning, fix = policy_advice(p)
        schedule = fix if fix_schedules and fix else p.schedule
        copied = replace_schedule(p, schedule)
        title = f"Copy the {p.interval} policy ({policy_in_words(copied)}) to {vol_label}"
        if schedule != p.schedule:
            title += f", fixed from {p.schedule!r}"
        elif warning:
            title += f". Note: {warning}"
        copy_op = CreateSnapshotPolicy("$new_volume", p.interval, schedule, p.timezone,
                                       p.maxsnaps)
        steps.append(Step(
            id=f"copy-policy-{p.interval.lower()}", title=title, call=copy_op,
            precondition=f"{vol_label} is Ready",
            undo=Step(
                id=f"undo-copy-policy-{p.interval.lower()}",
                title=f"Delete the copied {p.interval} policy", call=_inverse(copy_op, ref),
                precondition="the copied policy exists", est_s=EST_POLICY_S,
            ),
            est_s=EST_POLICY_S, produces=ref,
        ))
    if delete_old:
        for p in ctx.policies:
            delete = DeleteSnapshotPolicies(p.id, CreateSnapshotPolicy(
                old.id, p.interval, p.schedule, p.timezone, p.maxsnaps))
            steps.append(Step(
                id=f"delete-old-policy-{p.interval.lower()}",
                title=f"Delete the {p.interval} policy of {old.name} ({policy_in_words(p)})",
                call=delete, precondition=f"the policy {p.id} of {old.name} exists",
                undo=Step(
                    id=f"undo-delete-old-policy-{p.interval.lower()}",
                    title=f"Re-create the {p.interval} policy of {old.name}",
                    call=_inverse(delete),
                    precondition=f"{old.name} exists", est_s=EST_POLICY_S,
                ),
                est_s=EST_POLICY_S,
            ))
    return steps


def replace_schedule(policy: SnapshotPolicy, schedule: str) -> SnapshotPolicy:
    return dataclasses.replace(policy, schedule=schedule)


def swapped_schedules(policies: list[SnapshotPolicy]) -> list[tuple[SnapshotPolicy, str, str]]:
    """The policies whose schedule the lint would fix: (policy, warning, fixed string), for
    the offer to copy them fixed."""
    out = []
    for p in policies:
        warning, fix = policy_advice(p)
        if fix:
            out.append((p, warning, fix))
    return out


def _device_volume(ctx: RestoreContext, device: int) -> Volume | None:
    return next((v for v in ctx.vm_volumes if v.deviceid == device), None)


# -- modes ------------------------------------------------------------------------------


def plan_root_swap(
    ctx: RestoreContext, *, delete_vm_snapshots: bool = False, move_policies: bool = False,
    delete_old_policies: bool = False, disk_offering_id: str | None = None,
    volume_name: str | None = None, fix_schedules: bool = False,
) -> RestorePlan:
    """Mode 1: a new ROOT disk from a ROOT snapshot; the old root is kept, detached."""
    return _plan_swap(ctx, Mode.ROOT_SWAP, delete_vm_snapshots=delete_vm_snapshots,
                      move_policies=move_policies, delete_old_policies=delete_old_policies,
                      disk_offering_id=disk_offering_id, volume_name=volume_name,
                      stop_vm=True, fix_schedules=fix_schedules)


def plan_data_swap(
    ctx: RestoreContext, *, delete_vm_snapshots: bool = False, move_policies: bool = False,
    delete_old_policies: bool = False, volume_name: str | None = None, stop_vm: bool = True,
    fix_schedules: bool = False,
) -> RestorePlan:
    """Mode 2: a DATADISK replaced from its snapshot, attached at the old device id.
    The VM is stopped by default so no program sees its disk vanish mid-write."""
    return _plan_swap(ctx, Mode.DATA_SWAP, delete_vm_snapshots=delete_vm_snapshots,
                      move_policies=move_policies, delete_old_policies=delete_old_policies,
                      disk_offering_id=None, volume_name=volume_name, stop_vm=stop_vm,
                      fix_schedules=fix_schedules)


def _plan_swap(
    ctx: RestoreContext, mode: Mode, *, delete_vm_snapshots: bool, move_policies: bool,
    delete_old_policies: bool, disk_offering_id: str | None, volume_name: str | None,
    stop_vm: bool, fix_schedules: bool = False,
) -> RestorePlan:
    root = mode is Mode.ROOT_SWAP
    snap, vm = ctx.snapshot, ctx.vm
    options: dict[str, Any] = {
        "delete_vm_snapshots": delete_vm_snapshots, "move_policies": move_policies,
        "delete_old_policies": delete_old_policies, "stop_vm": stop_vm,
        "fix_schedules": fix_schedules}
    plan = _new_plan(mode, ctx, vm, options)
    vmsnap_steps = _swap_blockers(plan, ctx, root=root, delete_vm_snapshots=delete_vm_snapshots)
    if vm is None:
        return plan
    old = _replaced_disk(plan, ctx, vm, root=root)
    if old is None or old.deviceid is None:
        return plan
    kept_name = replaced_name(old.name, ctx.now or datetime.now(UTC))
    plan.original_root = {"id": old.id, "name": old.name, "deviceid": old.deviceid,
                          "renamed_to": kept_name}
    fact = restored_volume_size(snap, ctx.source_volume)
    offering, custom_gib = (_root_offering(plan, ctx, fact, disk_offering_id) if root
                            else (None, None))
    kind = "root" if root else _slug(old.name).lower()
    name = volume_name or f"{vm.name}-{kind}-from-{snapshot_label(snap)}-{run_tag(plan.id)}"
    options["volume_name"] = name
    options["volume_size"] = _volume_size(fact, offering, custom_gib)
    must_stop = vm.state == "Running" and (root or stop_vm)
    plan.steps.append(_create_volume_step(ctx, name, offering, custom_gib))
    plan.steps.extend(vmsnap_steps)
    plan.steps.extend(_policy_steps(ctx, name, move=move_policies,
                                    delete_old=delete_old_policies,
                                    fix_schedules=fix_schedules))
    plan.steps.extend(_swap_disk_steps(vm, old, old.deviceid, name, kept_name, root=root,
                                       must_stop=must_stop))
    _swap_notes(plan, ctx, old, kept_name, root=root, move_policies=move_policies,
                delete_old_policies=delete_old_policies, fix_schedules=fix_schedules)
    if vm.state == "Running" and not must_stop:
        plan.notes.append(f"{vm.name} stays running: its disk is swapped hot.")
    return plan


def _swap_blockers(plan: RestorePlan, ctx: RestoreContext, *, root: bool,
                   delete_vm_snapshots: bool) -> list[Step]:
    """What stops a swap (snapshot, VM, hypervisor, zone); returns the deleteVMSnapshot steps
    when the user opted in."""
    snap, vm = ctx.snapshot, ctx.vm
    _common_blockers(plan, ctx)
    wanted = "ROOT" if root else "DATADISK"
    if snap.volumetype and snap.volumetype != wanted:
        other = "replace a data disk" if root else "replace the root disk"
        plan.blockers.append(Blocker(
            "volume-type", f"{snap.name} is a {snap.volumetype} snapshot: use '{other}'.",
        ))
    vmsnap_steps = _vm_blockers(plan, vm, ctx.vm_snapshots,
                                delete_vm_snapshots=delete_vm_snapshots,
                                what="detach or attach a disk")
    if vm is None:
        return vmsnap_steps
    if root and vm.hypervisor not in ROOT_SWAP_HYPERVISORS:
        plan.blockers.append(Blocker(
            "hypervisor", f"Root volume detach is not supported for hypervisor type "
                          f"{vm.hypervisor}.",
        ))
    if snap.zoneid and vm.zoneid and snap.zoneid != vm.zoneid:
        plan.blockers.append(Blocker(
            "zone", f"The snapshot is in another zone than {vm.name}: the volume could not be "
                    "attached to it.",
        ))
    return vmsnap_steps


def _replaced_disk(plan: RestorePlan, ctx: RestoreContext, vm: VirtualMachine, *, root: bool,
                   ) -> Volume | None:
    """The disk being replaced: the VM's root, or the data disk the snapshot was taken of
    (a blocker when it is not attached)."""
    if root:
        old = _device_volume(ctx, 0)
    else:
        old = next((v for v in ctx.vm_volumes if v.id == ctx.snapshot.volumeid), None)
    if old is None or old.deviceid is None:
        what = "no ROOT disk at device 0" if root else f"no disk {ctx.snapshot.volumename} attached"
        plan.blockers.append(Blocker("no-old-disk", f"{vm.name} has {what}."))
        return None
    return old


def _root_offering(plan: RestorePlan, ctx: RestoreContext, fact: SizeFact,
                   disk_offering_id: str | None) -> tuple[DiskOffering | None, int | None]:
    """The disk offering for a new ROOT volume (one is required), and its custom size (GiB)
    when it is a custom one; noted in the plan's options, or a blocker when none fits."""
    offering: DiskOffering | None = None
    custom_gib: int | None = None
    size = fact.bytes or 0
    if fact.bytes is None:
        offering = _offering_for_unknown_size(plan, ctx, disk_offering_id)
    elif disk_offering_id:
        offering = next((o for o in ctx.disk_offerings if o.id == disk_offering_id), None)
        if offering is not None and offering.customized:
            custom_gib = max(1, math.ceil(size / GIB))
        elif offering is not None and (offering.disksize_gib or 0) * GIB < size:
            plan.blockers.append(Blocker(
                "disk-offering", f"{offering.name} is smaller than the snapshot "
                                 f"({size / GIB:.0f} GiB).",
            ))
    else:
        offering, custom_gib = pick_disk_offering(ctx.disk_offerings, size)
    if offering is not None:
        plan.options["diskofferingid"] = offering.id
        plan.options["diskofferingname"] = offering.name
    elif fact.bytes is not None:  # (an unknown size has its own blocker)
        plan.blockers.append(Blocker(
            "disk-offering", f"No disk offering of at least {size / GIB:.0f} GiB "
                             "(a ROOT snapshot needs one).",
        ))
    return offering, custom_gib


def _volume_size(fact: SizeFact, offering: DiskOffering | None, custom_gib: int | None,
                 ) -> int | None:
    """The new volume's size as the server will make it; None when it cannot be known."""
    if fact.bytes is not None:
        return created_volume_size(fact.bytes, offering, custom_gib)
    if offering is not None and not offering.customized:
        return created_volume_size(0, offering, None)
    return None


def _swap_disk_steps(vm: VirtualMachine, old: Volume, device: int, name: str, kept_name: str,
                     *, root: bool, must_stop: bool) -> list[Step]:
    """Stop (if needed), detach the old disk, rename it, attach the new one at its device,
    start again."""
    down = vm.name if (root or must_stop) else ""
    detach = _detach_step("detach-old", old, vm, device, root=root)
    if not down:
        detach.down = ""
        if detach.undo is not None:
            detach.undo.down = ""
    return [
        *([_stop_step(vm)] if must_stop else []),
        detach,
        # Right after the detach, so that a rollback renames it back before re-attaching it.
        _rename_step(old, kept_name, down=down),
        _attach_step("attach-new", f"Attach {name} to {vm.name} at device {device}"
                     + (" (as ROOT)" if root else ""), "$new_volume", name, vm, device,
                     undo_detach=True, down=down),
        *([_start_step(vm)] if must_stop else []),
    ]


def _swap_notes(plan: RestorePlan, ctx: RestoreContext, old: Volume, kept_name: str, *,
                root: bool, move_policies: bool, delete_old_policies: bool,
                fix_schedules: bool) -> None:
    what = "root" if root else "data disk"
    plan.notes.append(
        f"If it succeeds, the old {what} {old.name} (id {old.id}) is kept, detached, as a "
        f"DATADISK, renamed {kept_name} (if the server cannot rename it, it keeps its name). "
        "Nothing is deleted: remove it yourself once the restore is verified."
    )
    for p, warning, fix in swapped_schedules(ctx.policies) if move_policies else []:
        plan.notes.append(
            f"The {p.interval} policy's schedule {p.schedule!r} {warning}"
            + (f" It is copied fixed ({fix!r})." if fix_schedules else
               " Tick 'Copy the schedule as meant' to copy it fixed."))
    if root and ctx.policies and not move_policies:
        plan.notes.append(
            f"{old.name} has {len(ctx.policies)} snapshot policy(ies); they stay with the old "
            "volume and will not protect the new root unless you move them."
        )
    if ctx.policies and move_policies and not delete_old_policies:
        plan.notes.append(f"The policies of {old.name} are kept as well (it keeps being "
                          "snapshotted while it exists).")


def plan_attach(
    ctx: RestoreContext, *, target: VirtualMachine | None = None,
    target_volumes: list[Volume] | None = None,
    target_vm_snapshots: list[VMSnapshot] | None = None, volume_name: str | None = None,
    delete_vm_snapshots: bool = False,
) -> RestorePlan:
    """Mode 3: a volume from the snapshot attached as an extra disk (file-level recovery),
    to the snapshot's VM or to `target`."""
    vm = target or ctx.vm
    vmsnaps = target_vm_snapshots if target is not None else ctx.vm_snapshots
    snap = ctx.snapshot
    plan = _new_plan(Mode.ATTACH, ctx, vm, {"delete_vm_snapshots": delete_vm_snapshots})
    name = volume_name or (f"{_slug(snap.volumename or 'volume')}-files-from-"
                           f"{snapshot_label(snap)}-{run_tag(plan.id)}")
    plan.options["volume_name"] = name
    _common_blockers(plan, ctx)
    vmsnap_steps = _vm_blockers(plan, vm, vmsnaps or [], delete_vm_snapshots=delete_vm_snapshots,
                                what="attach a disk")
    offering: DiskOffering | None = None
    custom: int | None = None
    fact = restored_volume_size(snap, ctx.source_volume)
    if snap.volumetype == "ROOT":  # a ROOT snapshot needs an explicit offering (api.md §8.1)
        if fact.bytes is None:
            offering = _offering_for_unknown_size(plan, ctx, None)
        else:
            offering, custom = pick_disk_offering(ctx.disk_offerings, fact.bytes)
            if offering is None:
                plan.blockers.append(Blocker("disk-offering",
                                             "No disk offering fits the snapshot."))
    plan.options["volume_size"] = _volume_size(fact, offering, custom)
    plan.steps.append(_create_volume_step(ctx, name, offering, custom))
    plan.steps.extend(vmsnap_steps)
    if vm is None:
        return plan
    hyper = source_hypervisor(ctx)
    if hyper and vm.hypervisor and hyper != vm.hypervisor:
        plan.blockers.append(Blocker(
            "hypervisor", f"The snapshot is of a {hyper} volume; {vm.name} runs on "
                          f"{vm.hypervisor}.",
        ))
    elif not hyper:
        plan.notes.append("The snapshot's hypervisor is not known to this account (its volume "
                          "is not attached to a VM): the server checks it when attaching.")
    if snap.zoneid and vm.zoneid and snap.zoneid != vm.zoneid:
        plan.blockers.append(Blocker("zone", f"{vm.name} is in another zone than the snapshot."))
    # The server picks the next free device; say which one that is now.
    vols = target_volumes if target is not None else ctx.vm_volumes
    used = {v.deviceid for v in vols or [] if v.deviceid is not None}
    device = next(d for d in range(1, 64) if d not in used
                  and not (d == 3 and vm.hypervisor == "XenServer")) if vols else None
    where = f" (device {device}, the next free one)" if device is not None else ""
    plan.steps.append(_attach_step("attach-new", f"Attach {name} to {vm.name}{where}",
                                   "$new_volume", name, vm, None, undo_detach=True))
    plan.notes.append(
        f"If it succeeds, {name} stays attached to {vm.name} for you to copy files from. "
        "When done, detach and delete it yourself: atlas-tui never deletes a volume."
    )
    return plan


def plan_revert(ctx: RestoreContext, *, delete_vm_snapshots: bool = False) -> RestorePlan:
    """Mode 4: revert the volume in place (stop, revert, start); only when `revertable`."""
    snap, vm = ctx.snapshot, ctx.vm
    plan = _new_plan(Mode.REVERT, ctx, vm, {"delete_vm_snapshots": delete_vm_snapshots})
    _common_blockers(plan, ctx)
    if not snap.revertable:
        hyper = source_hypervisor(ctx)
        plan.blockers.append(Blocker(
            "not-revertable",
            f"{snap.name} cannot be reverted in place"
            + (f" ({hyper} snapshots are not revertable)" if hyper else "")
            + ": create a volume from it instead.",
        ))
    vol = ctx.source_volume
    if vol is None:
        plan.blockers.append(Blocker("no-volume", "The snapshot's volume no longer exists."))
    elif vol.state != "Ready":
        plan.blockers.append(Blocker("volume-state", f"{vol.name} is {vol.state}, not Ready."))
    vmsnap_steps: list[Step] = []
    if vm is not None:
        vmsnap_steps = _vm_blockers(plan, vm, ctx.vm_snapshots,
                                    delete_vm_snapshots=delete_vm_snapshots, what="revert")
    plan.steps.extend(vmsnap_steps)
    running = vm is not None and vm.state == "Running"
    if running and vm is not None:
        plan.steps.append(_stop_step(vm))
    label = vol.name if vol is not None else snap.volumename
    plan.steps.append(Step(
        id="revert", title=f"Revert {label} to {snap.name}",
        call=RevertSnapshot(snap.id),
        precondition=f"{label} is Ready; its VM is Stopped and has no VM snapshots",
        down=vm.name if vm is not None else label,
        est_s=est_copy_s(restored_volume_size(snap, vol).bytes, base=20.0, per_gib=1.5),
        irreversible=True,
    ))
    if running and vm is not None:
        plan.steps.append(_start_step(vm))
    plan.notes.append(f"Everything written to {label} after {snap.name} was taken is lost. "
                      "Take a snapshot first if you may need it.")
    return plan


def plan_template(
    ctx: RestoreContext, *, name: str, ostype_id: str | None = None, launch: bool = False,
    zone_id: str | None = None, service_offering_id: str | None = None,
    network_id: str | None = None, vm_name: str | None = None,
) -> RestorePlan:
    """Mode 5: promote the snapshot to a template, and optionally launch a VM from it."""
    snap = ctx.snapshot
    ostype = ostype_id or snap.ostypeid or (ctx.vm.ostypeid if ctx.vm else "")
    options: dict[str, Any] = {"template_name": name, "ostypeid": ostype, "launch": launch}
    plan = _new_plan(Mode.TEMPLATE, ctx, None, options)
    _common_blockers(plan, ctx)
    if not name.strip():
        plan.blockers.append(Blocker("name", "The template needs a name."))
    if not ostype:
        plan.blockers.append(Blocker("ostype", "Choose an OS type."))
    elif ctx.os_types and not any(o.id == ostype for o in ctx.os_types):
        plan.blockers.append(Blocker("ostype", f"Unknown OS type {ostype}."))
    size = restored_volume_size(snap, ctx.source_volume).bytes
    plan.steps.append(Step(
        id="create-template", title=f"Create template {name} from {snap.name}",
        call=CreateTemplate(snap.id, name, ostype, displaytext=name),
        precondition=f"snapshot {snap.name} is BackedUp",
        est_s=est_copy_s(size, base=60.0, per_gib=3.0), produces="new_template",
    ))
    plan.notes.append(f"The template {name} is kept whatever happens; delete it yourself when "
                      "no longer needed.")
    if not launch:
        return plan
    zone = next((z for z in ctx.zones if z.id == (zone_id or snap.zoneid)), None)
    if zone is None:
        plan.blockers.append(Blocker("zone", "Choose a zone for the new VM."))
    offering = next((o for o in ctx.service_offerings if o.id == service_offering_id), None)
    if offering is None:
        plan.blockers.append(Blocker("service-offering", "Choose a service offering."))
    net: str | None = None
    if zone is not None and zone.networktype == "Advanced":
        nets = ctx.networks.get(zone.id, [])
        net = network_id or (nets[0]["id"] if len(nets) == 1 else None)
        if not net:
            plan.blockers.append(Blocker(
                "network", f"{zone.name} is an Advanced zone: choose a network for the VM.",
            ))
        elif nets and not any(n.get("id") == net for n in nets):
            plan.blockers.append(Blocker("network", f"Network {net} is not in {zone.name}."))
    new_name = vm_name or f"{_slug(name)}-vm"
    deploy = DeployVm("$new_template", zone.id if zone else zone_id, service_offering_id,
                      net, new_name)
    options.update({"zoneid": deploy.zone_id, "serviceofferingid": service_offering_id,
                    "networkid": net, "vm_name": new_name})
    plan.steps.append(Step(
        id="deploy-vm", title=f"Launch {new_name} from {name}"
        + (f" in {zone.name}" if zone else ""),
        call=deploy,
        precondition=f"template {name} is ready", est_s=EST_DEPLOY_S, produces="new_vm",
    ))
    plan.notes.append(f"The new VM {new_name} is kept even if something later fails.")
    return plan


def available_modes(ctx: RestoreContext) -> dict[Mode, str]:
    """Each mode with '' when offered, else the reason it is not (for greyed-out keys)."""
    snap = ctx.snapshot
    out: dict[Mode, str] = {m: "" for m in Mode}
    if not snap.backed_up:
        return {m: f"snapshot is {snap.state}, not BackedUp" for m in Mode}
    if snap.volumetype != "ROOT":
        out[Mode.ROOT_SWAP] = "not a ROOT snapshot"
        out[Mode.TEMPLATE] = "only a ROOT snapshot makes a bootable template"
    if snap.volumetype != "DATADISK":
        out[Mode.DATA_SWAP] = "not a DATADISK snapshot"
    if not snap.revertable:
        out[Mode.REVERT] = "this snapshot is not revertable (hypervisor or storage)"
    return out
