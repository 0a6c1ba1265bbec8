"""What a restore left on the server, from a fresh read: for the end-of-run summary, the
unfinished-restore dialog and the history.

Everything here is read by id (the VM, the volumes the restore created, the disk it
replaced), never by name. The result separates the server's facts (`disks`, `vm_line`)
from the app's own checks (`checks`) and from advice (`next_steps`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from atlas_tui.cloud.api.client import CloudClient
from atlas_tui.cloud.api.errors import CloudError, ErrorKind
from atlas_tui.cloud.api.models import Template, VirtualMachine, Volume
from atlas_tui.cloud.restore.journal import Journal, now_iso
from atlas_tui.cloud.restore.plan import GIB, Mode, RestorePlan


@dataclass(frozen=True)
class Check:
    """One thing atlas-tui checked against the read (the app's check, not the server's
    words)."""

    ok: bool
    text: str

    def __str__(self) -> str:
        return f"{'✓' if self.ok else '✗'} {self.text}"


@dataclass
class ServerRead:
    """One fresh read of what a restore touched."""

    read_at: str
    vm_id: str = ""
    vm_name: str = ""
    vm: VirtualMachine | None = None
    attached: list[Volume] = field(default_factory=list)  # the VM's disks now
    volumes: dict[str, Volume | None] = field(default_factory=dict)  # tracked, by id
    templates: dict[str, Template | None] = field(default_factory=dict)
    vms: dict[str, VirtualMachine | None] = field(default_factory=dict)  # created VMs
    error: str = ""  # the read failed: the server's text

    def at_device(self, device: int) -> Volume | None:
        return next((v for v in self.attached if v.deviceid == device), None)

    @property
    def bootable(self) -> bool:
        return self.at_device(0) is not None

    def vm_line(self) -> str:
        """"hello-atlas is Stopped and has no disk at device 0: it cannot boot"."""
        if self.error:
            return f"Could not read {self.vm_name or 'the VM'} now: {self.error}"
        if not self.vm_id:
            return ""
        if self.vm is None:
            return f"{self.vm_name} ({self.vm_id}) is not on the server any more."
        if self.at_device(0) is None:
            return (f"{self.vm.name} is {self.vm.state} and has no disk at device 0: it cannot "
                    "boot.")
        return f"{self.vm.name} is {self.vm.state}."


def created_ids(journal: Journal) -> dict[str, str]:
    return journal.created_resources


def tracked_volume_ids(journal: Journal) -> list[str]:
    """The volumes a restore is about: the ones it created and the one it replaced."""
    plan = journal.plan
    ids = [i for ref, i in created_ids(journal).items() if ref == "new_volume"]
    if plan.original_root and plan.original_root.get("id"):
        ids.append(str(plan.original_root["id"]))
    return ids


async def read_server(client: CloudClient, journal: Journal) -> ServerRead:
    """Read, by id, the VM and every volume, template and VM the restore is about."""
    plan = journal.plan
    vm_id = str((plan.vm or {}).get("id") or journal.original.get("vm_id") or "")
    vm_name = str((plan.vm or {}).get("name") or "")
    view = ServerRead(read_at=now_iso(), vm_id=vm_id, vm_name=vm_name)
    created = created_ids(journal)
    try:
        if vm_id:
            view.vm, view.attached = await asyncio.gather(
                client.virtual_machine(vm_id), client.volumes_of(vm_id))
        ids = tracked_volume_ids(journal)
        found = await asyncio.gather(*(volume_or_none(client, i) for i in ids))
        view.volumes = dict(zip(ids, found, strict=True))
        if "new_template" in created:
            mine = {t.id: t for t in await client.templates("self")}
            view.templates = {created["new_template"]: mine.get(created["new_template"])}
        if "new_vm" in created:
            view.vms = {created["new_vm"]: await client.virtual_machine(created["new_vm"])}
    except CloudError as err:
        view.error = err.text
    return view


async def volume_or_none(client: CloudClient, volume_id: str) -> Volume | None:
    """A volume by id, or None once it is gone: the server answers a deleted id with a
    parameter error (431), not with an empty list."""
    try:
        return await client.volume(volume_id)
    except CloudError as err:
        if err.kind is ErrorKind.PARAM:
            return None
        raise


def where(vol: Volume | None) -> str:
    if vol is None:
        return "not on the server any more"
    if vol.attached:
        return f"attached to {vol.vmname or vol.virtualmachineid} at device {vol.deviceid}"
    return "detached"


def _size(vol: Volume) -> str:
    return f"{(vol.size or 0) / GIB:.0f} GiB" if vol.size else "size unknown"


@dataclass
class Report:
    """The summary of a restore as the server shows it now."""

    vm_line: str = ""
    disks: list[str] = field(default_factory=list)  # the server's facts, one per disk
    kept: list[dict[str, Any]] = field(default_factory=list)  # created, still there
    gone: list[str] = field(default_factory=list)  # created, no longer there
    checks: list[Check] = field(default_factory=list)  # the app's checks
    next_steps: list[str] = field(default_factory=list)
    verified: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"vm_line": self.vm_line, "disks": self.disks, "kept": self.kept,
                "gone": self.gone, "checks": [[c.ok, c.text] for c in self.checks],
                "next_steps": self.next_steps, "verified": self.verified}


def _role(plan: RestorePlan, journal: Journal, vol_id: str) -> str:
    if vol_id == journal.created_resources.get("new_volume"):
        return "created by this restore"
    if plan.original_root and vol_id == plan.original_root.get("id"):
        return "the original root" if plan.mode is Mode.ROOT_SWAP else "the original disk"
    return ""


def build_report(journal: Journal, view: ServerRead, status: str) -> Report:
    """The end-of-run summary from `view`, for a run that ended `status` (succeeded,
    rolled-back, rollback-failed)."""
    plan = journal.plan
    report = Report(vm_line=view.vm_line())
    if view.error:
        report.checks.append(Check(False, f"could not read the server back: {view.error}"))
        report.next_steps.append("Look at the VM and its volumes yourself (:vm NAME).")
        return report
    seen: set[str] = set()
    for vol in view.attached:
        role = _role(plan, journal, vol.id)
        report.disks.append(f"device {vol.deviceid} of {view.vm_name}: {vol.name} ({vol.id}, "
                            f"{vol.type}, {_size(vol)})" + (f": {role}" if role else ""))
        seen.add(vol.id)
    for vol_id, known in view.volumes.items():
        if vol_id in seen:
            continue
        role = _role(plan, journal, vol_id)
        name = known.name if known is not None else vol_id
        report.disks.append(f"{name} ({vol_id}): {where(known)}" + (f"; {role}" if role else ""))
    new_id = journal.created_resources.get("new_volume", "")
    if new_id:
        new = view.volumes.get(new_id)
        if new is None:
            report.gone.append(f"volume {new_id}")
        else:
            report.kept.append({"kind": "volume", "id": new.id, "name": new.name,
                                "state": new.state, "where": where(new)})
    for tid, tpl in view.templates.items():
        if tpl is None:
            report.gone.append(f"template {tid}")
        else:
            report.kept.append({"kind": "template", "id": tid, "name": tpl.name,
                                "state": "ready" if tpl.isready else "not ready yet",
                                "where": ""})
    for vid, vm in view.vms.items():
        if vm is None:
            report.gone.append(f"instance {vid}")
        else:
            report.kept.append({"kind": "instance", "id": vid, "name": vm.name,
                                "state": vm.state, "where": ""})
    _checks(report, journal, view, status)
    _next_steps(report, journal, view, status)
    report.verified = bool(report.checks) and all(c.ok for c in report.checks)
    return report


def _checks(report: Report, journal: Journal, view: ServerRead, status: str) -> None:
    plan = journal.plan
    orig = journal.original
    new_id = journal.created_resources.get("new_volume", "")
    if view.vm_id:
        if view.vm is None:
            report.checks.append(Check(False, f"{view.vm_name} is not on the server"))
            return
        roots = [v for v in view.attached if v.is_root]
        ok_root = len(roots) == 1 and roots[0].deviceid == 0
        report.checks.append(Check(ok_root, "one ROOT disk, at device 0" if ok_root else
                                   "ROOT disks: " + (", ".join(
                                       f"{v.name} at device {v.deviceid}" for v in roots)
                                                     or "none")))
        want = str(orig.get("vm_state") or (plan.vm or {}).get("state") or "")
        if want:
            report.checks.append(Check(view.vm.state == want,
                                       f"{view.vm.name} is {view.vm.state} (was {want})"))
    swap = plan.mode in (Mode.ROOT_SWAP, Mode.DATA_SWAP) and plan.original_root
    if swap and plan.original_root is not None:
        device = int(plan.original_root.get("deviceid") or 0)
        there = view.at_device(device)
        want_id = new_id if status == "succeeded" else str(plan.original_root["id"])
        what = "the new volume" if status == "succeeded" else "the original disk"
        if status != "rollback-failed":
            report.checks.append(Check(
                there is not None and there.id == want_id,
                f"device {device} holds {what}" if there is not None and there.id == want_id
                else f"device {device} holds {there.name if there else 'nothing'}, "
                     f"not {what}"))
    if plan.mode is Mode.ATTACH and status == "succeeded" and new_id:
        new = view.volumes.get(new_id)
        ok = new is not None and new.virtualmachineid == view.vm_id
        report.checks.append(Check(ok, f"the new volume is attached to {view.vm_name}" if ok
                                   else f"the new volume is {where(new)}"))


def _next_steps(report: Report, journal: Journal, view: ServerRead, status: str) -> None:
    plan = journal.plan
    new_id = journal.created_resources.get("new_volume", "")
    new = view.volumes.get(new_id) if new_id else None
    old_id = str((plan.original_root or {}).get("id") or "")
    old = view.volumes.get(old_id) if old_id else None
    vm = view.vm_name
    if status == "succeeded":
        if plan.mode in (Mode.ROOT_SWAP, Mode.DATA_SWAP) and old is not None:
            report.next_steps.append(
                f"Check that {vm} works; then delete {old.name} ({old.id}, {where(old)}) "
                "yourself once you no longer need it.")
        if plan.mode is Mode.ATTACH and new is not None:
            report.next_steps.append(
                f"Copy what you need from {new.name} ({where(new)}), then detach and delete "
                "it yourself.")
        if plan.mode is Mode.TEMPLATE:
            report.next_steps.append("Delete the template yourself when it is no longer "
                                     "needed.")
        return
    if new is not None and not new.attached:
        report.next_steps.append(
            f"{new.name} ({new.id}) was created by this restore and is now unused (detached):"
            " delete it yourself, or attach it to look at it.")
    if status == "rolled-back":
        report.next_steps.append("Fix what the server refused (its words are above), then "
                                 "restore again.")
        return
    report.next_steps.append("Roll back again: from :restore, or at the next start of "
                             "atlas-tui (the journal keeps this restore open).")
    if view.vm is not None and not view.bootable:
        hint = ""
        if old is not None and not old.attached:
            hint = (f" By hand: attach {old.name} ({old.id}) to {vm} at device 0 "
                    f"(attachVolume id={old.id} virtualmachineid={view.vm_id} deviceid=0).")
        report.next_steps.append(f"Until then {vm} cannot boot: it has no disk at device 0."
                                 + hint)


def view_disks(journal: Journal, view: ServerRead) -> list[str]:
    """Where each disk of the VM and each disk the restore is about is, right now."""
    if view.error:
        return []
    lines = [f"device {v.deviceid}: {v.name} ({v.id}, {v.type})"
             + (f": {role}" if (role := _role(journal.plan, journal, v.id)) else "")
             for v in view.attached]
    seen = {v.id for v in view.attached}
    for vol_id, vol in view.volumes.items():
        if vol_id not in seen:
            role = _role(journal.plan, journal, vol_id)
            lines.append(f"{vol.name if vol else vol_id} ({vol_id}): {where(vol)}"
                         + (f"; {role}" if role else ""))
    return lines


NO_BOOT_DISK = "no disk at device 0: cannot boot"


def boot_flag(volumes: list[Volume]) -> str:
    """A VM with no disk at device 0 cannot boot, whatever removed it (a restore cut off,
    a manual detach)."""
    return "" if any(v.deviceid == 0 for v in volumes) else NO_BOOT_DISK


def choice_effects(journal: Journal, view: ServerRead) -> dict[str, str]:
    """What Resume and Roll back will do for an unfinished restore, in words."""
    plan = journal.plan
    left = [s.title for s in plan.steps
            if journal.step(s.id).get("status") not in ("done", "skipped", "optional-failed")]
    done = [s for s in plan.steps if journal.step(s.id).get("status") == "done"
            or journal.step(s.id).get("applied")]
    undo = [s.undo.title for s in reversed(done) if s.undo is not None]
    rolling = journal.status in ("rolling-back", "rollback-failed")
    resume = ("carries on the rollback: " + ("; ".join(undo) or "nothing left to undo")
              if rolling else "checks the step in flight, then: " + ("; ".join(left)
                                                                   or "nothing left to do"))
    rollback = "undoes, newest first: " + ("; ".join(undo) or "nothing (nothing was done)")
    kept = ""
    new_id = journal.created_resources.get("new_volume", "")
    if new_id:
        new = view.volumes.get(new_id)
        kept = (f" The volume it created ({new.name if new else new_id}) is kept, not "
                "deleted.")
    return {"resume": resume + ".", "rollback": rollback + "." + kept,
            "later": "changes nothing now; the next start asks again"
                     + (f", and {view.vm_name} stays as it is" if view.vm_id else "") + "."}
